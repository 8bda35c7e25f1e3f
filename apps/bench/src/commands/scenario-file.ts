// What `scenario` and `explore` check before they run a file: a known backend and a readable file.
import { access, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { BenchRegistry } from '../bench-registry.ts';
import { formatIssue } from '../config/config-error.ts';
import type { CliIo } from '../io.ts';

/** The file's absolute path, or null after telling the user what is wrong (a usage error). */
export async function checkScenarioArgs(
  file: string,
  backend: string | undefined,
  registry: BenchRegistry,
  io: CliIo,
): Promise<string | null> {
  const known = registry.backends.names();
  if (backend !== undefined && known.length > 0 && !known.includes(backend)) {
    const issue = { path: '--backend', message: `unknown backend "${backend}"`, allowed: known };
    io.stderr.write(`khva-bench: ${formatIssue(issue)}\n`);
    return null;
  }
  const path = resolve(io.cwd, file);
  try {
    await access(path);
  } catch {
    io.stderr.write(`khva-bench: cannot read scenario file ${file}\n`);
    return null;
  }
  return path;
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
