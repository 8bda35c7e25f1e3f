// Reads an input file as UTF-8 text, refusing before it reads what it would refuse after: a directory, a
// file over the size limit, bytes that are not UTF-8. A leading byte-order mark is accepted and dropped.
import { open } from 'node:fs/promises';
import { InputError } from './input-error.ts';
import { formatBytes } from './limits.ts';

export interface ReadInputOptions {
  /** What the file is, for messages: `config`, `scenario`. */
  readonly kind: string;
  /** The file as the user named it (default: the path). */
  readonly source?: string;
  readonly maxBytes: number;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the path is too long',
  EMFILE: 'too many open files',
};

/** `no such file (ENOENT)`: the reason a file operation failed, in words and as the errno name. */
export function describeFsError(error: unknown): string {
  const code =
    error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code === undefined) return error instanceof Error ? error.message : String(error);
  return `${REASONS[code] ?? 'cannot be read'} (${code})`;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Decodes UTF-8 (dropping a BOM); throws a TypeError for bytes that are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export async function readInputFile(path: string, options: ReadInputOptions): Promise<string> {
  const source = options.source ?? path;
  const fail = (message: string) => new InputError(options.kind, source, [{ path: '(file)', message }]);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw fail(`cannot read the file: ${describeFsError(error)}`);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw fail(`cannot read the file: ${REASONS.EISDIR} (EISDIR)`);
    const tooBig = (size: number) =>
      fail(
        `the file is ${formatBytes(size)}; a ${options.kind} file may be at most ${formatBytes(options.maxBytes)}`,
      );
    if (stat.isFile() && stat.size > options.maxBytes) throw tooBig(stat.size);
    // Read one byte past the limit, so a file that grew (or a pipe) is caught without reading all of it.
    const buffer = new Uint8Array(options.maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > options.maxBytes) throw tooBig(length);
    try {
      return decodeUtf8(buffer.subarray(0, length));
    } catch {
      throw fail('the file is not UTF-8 text');
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw fail(`cannot read the file: ${describeFsError(error)}`);
  } finally {
    await handle.close();
  }
}
