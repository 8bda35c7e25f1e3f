// What `scenario` and `explore` check before they run a file: a known backend and a readable file.
import { access } from 'node:fs/promises';
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
