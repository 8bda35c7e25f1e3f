// Builds apps/bench (tsc -b is incremental: a no-op when dist is up to date) so the spawned-bin tests run
// the real dist/cli.js, as a user would.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const benchDir = fileURLToPath(new URL('..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-b'], { cwd: benchDir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tsc -b in apps/bench failed:\n${r.stdout}${r.stderr}`);
}
