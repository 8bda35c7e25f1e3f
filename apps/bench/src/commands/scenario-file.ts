// What `scenario` and `explore` check before they run a file, the same for both: a known backend, a file
// that can be read (or the reason it cannot), within the size limit, parsed by the hardened reader.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BenchRegistry } from '../bench-registry.ts';
import { formatIssue } from '../config/config-error.ts';
import { InputError, type InputIssue } from '../input/input-error.ts';
import { INPUT_LIMITS } from '../input/limits.ts';
import { loadMappingFile } from '../input/load-mapping.ts';
import type { CliIo } from '../io.ts';

export interface ScenarioInput {
  /** Absolute path of the file. */
  readonly path: string;
  /** Its parsed content, for the model's validation. */
  readonly document: Readonly<Record<string, unknown>>;
}

/** The file, read and parsed, or null after telling the user what is wrong (a usage error). */
export async function checkScenarioArgs(
  file: string,
  backend: string | undefined,
  registry: BenchRegistry,
  io: CliIo,
): Promise<ScenarioInput | null> {
  const known = registry.backends.names();
  if (backend !== undefined && known.length > 0 && !known.includes(backend)) {
    const issue = { path: '--backend', message: `unknown backend "${backend}"`, allowed: known };
    io.stderr.write(`khva-bench: ${formatIssue(issue)}\n`);
    return null;
  }
  const path = resolve(io.cwd, file);
  let document: Record<string, unknown>;
  try {
    document = await loadMappingFile(path, {
      kind: 'scenario',
      source: file,
      maxBytes: INPUT_LIMITS.scenarioBytes,
    });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    const [issue] = error.issues;
    const unreadable = issue?.path === '(file)' && issue.message.startsWith('cannot read the file: ');
    io.stderr.write(
      unreadable
        ? `khva-bench: cannot read scenario file ${file}: ${issue.message.slice('cannot read the file: '.length)}\n`
        : `khva-bench: ${error.message}\n`,
    );
    return null;
  }
  const named = document.backend;
  if (backend === undefined && typeof named === 'string' && known.length > 0 && !known.includes(named)) {
    const error = new InputError('scenario', file, [
      { path: 'backend', message: `unknown backend "${named}"`, allowed: known },
    ]);
    io.stderr.write(`khva-bench: ${error.message}\n`);
    return null;
  }
  return { path, document };
}

/** `threads.0.vm: unknown VM "x"` -> { path: 'threads.0.vm', message: 'unknown VM "x"' }. */
function issueOf(text: string): InputIssue {
  const at = text.indexOf(': ');
  return at > 0 && !text.slice(0, at).includes(' ')
    ? { path: text.slice(0, at), message: text.slice(at + 2) }
    : { path: '(root)', message: text };
}

/**
 * The message for a scenario the model refused to run: its validation issues as one InputError (one line
 * for one problem), anything else as `cannot run scenario FILE: reason`, on one line.
 */
export function scenarioRefusal(file: string, error: unknown): string {
  if (
    error instanceof Error &&
    'issues' in error &&
    Array.isArray(error.issues) &&
    error.issues.every((i) => typeof i === 'string')
  ) {
    return new InputError('scenario', file, (error.issues as string[]).map(issueOf)).message;
  }
  const reason = error instanceof Error ? error.message : String(error);
  return `cannot run scenario ${file}: ${reason.split('\n')[0]}`;
}

/** Write a timeline page (`--html OUT`); false after telling the user why it could not be written. */
export async function writeTimelinePage(out: string, html: string | undefined, io: CliIo): Promise<boolean> {
  if (html === undefined) return true;
  try {
    await writeFile(resolve(io.cwd, out), html);
    return true;
  } catch (error) {
    io.stderr.write(
      `khva-bench: cannot write the timeline to ${out}: ${error instanceof Error ? error.message : error}\n`,
    );
    return false;
  }
}
