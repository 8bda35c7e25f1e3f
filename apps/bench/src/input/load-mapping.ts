// Read + parse in one call: what every command does with a file before validating it against its schema.
import { formatOf, parseMapping } from './parse-document.ts';
import { readInputFile } from './read-input.ts';

export interface LoadMappingOptions {
  /** What the file is, for messages: `config`, `scenario`. */
  readonly kind: string;
  /** The file as the user named it (default: the path). */
  readonly source?: string;
  readonly maxBytes: number;
}

/** Reads and parses a JSON (`.json`) or YAML file whose top level is a mapping; throws InputError. */
export async function loadMappingFile(
  path: string,
  options: LoadMappingOptions,
): Promise<Record<string, unknown>> {
  const source = options.source ?? path;
  const text = await readInputFile(path, { kind: options.kind, source, maxBytes: options.maxBytes });
  return parseMapping(text, { format: formatOf(path), kind: options.kind, source });
}
