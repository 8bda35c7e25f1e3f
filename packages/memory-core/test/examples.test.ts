import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const example = join(pkg, 'examples', 'direct-map-oops.mjs');

/** Newest modification time under a directory (files only). */
function newest(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

/** Build dist with `tsc -b` unless it is newer than every source file. */
function ensureBuilt(): void {
  const info = join(pkg, 'dist', '.tsbuildinfo');
  if (existsSync(info) && statSync(info).mtimeMs >= newest(join(pkg, 'src'))) return;
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', pkg], { stdio: 'pipe' });
}

/** The body of the first fenced block of `lang` after `marker` in the README. */
function readmeBlock(marker: string, lang: string): string {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const at = readme.indexOf(marker);
  expect(at, `README mentions ${marker}`).toBeGreaterThanOrEqual(0);
  const open = readme.indexOf(`\`\`\`${lang}\n`, at);
  const start = open + lang.length + 4;
  return readme.slice(start, readme.indexOf('```\n', start));
}

describe('README example', () => {
  beforeAll(ensureBuilt, 120_000);

  it('is the same code as examples/direct-map-oops.mjs', () => {
    expect(readmeBlock('`examples/direct-map-oops.mjs`', 'js')).toBe(readFileSync(example, 'utf8'));
  });

  it('runs with node against the built package and prints what the README shows', () => {
    const out = execFileSync(process.execPath, [example], { cwd: pkg, encoding: 'utf8' });
    expect(out).toBe(readmeBlock('prints:', 'text'));
    expect(out).toMatch(/^oops: unable to handle page fault for address 0xffff888001000000$/m);
    expect(out).toMatch(/^oops record: cpu 2, irq, xen-evtchn, write at 0xffff888001000000$/m);
  });

  it('ships the examples directory', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('examples');
  });
});
