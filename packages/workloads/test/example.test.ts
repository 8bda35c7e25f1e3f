import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('README example', () => {
  it('prints what the README shows', () => {
    const out = execFileSync(process.execPath, [join(pkg, 'examples', 'kvmclock.mjs')], {
      cwd: pkg,
      encoding: 'utf8',
    });
    const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
    const block = readme.slice(
      readme.indexOf('```text\n') + 8,
      readme.indexOf('```', readme.indexOf('```text\n') + 8),
    );
    expect(out).toBe(block);
  });
});
