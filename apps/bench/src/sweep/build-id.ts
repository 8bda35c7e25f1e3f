// The build a sweep ran on: sha256 of the compiled code of the bench app and of the @khva packages it
// loads. Shards run from different builds could disagree, so merge refuses to join them.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(js|ts|json)$/.test(f) && !f.endsWith('.tsbuildinfo') && !f.includes('node_modules'))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .sort();
}

/** The package directory of the bench app (apps/bench). */
function benchDir(): string {
  return dirname(dirname(dirname(fileURLToPath(import.meta.url))));
}

export function computeBuildId(): string {
  const root = benchDir();
  const code = import.meta.url.endsWith('.ts') ? 'src' : 'dist';
  const dirs = [join(root, code)];
  const scope = join(root, 'node_modules', '@khva');
  for (const name of readdirSync(scope).sort()) {
    const dir = join(realpathSync(join(scope, name)), code);
    try {
      if (statSync(dir).isDirectory()) dirs.push(dir);
    } catch {
      // a package without this directory contributes nothing
    }
  }
  const hash = createHash('sha256');
  for (const dir of dirs) {
    for (const file of files(dir)) {
      hash.update(relative(root, file));
      hash.update('\0');
      hash.update(readFileSync(file));
    }
  }
  return hash.digest('hex');
}
