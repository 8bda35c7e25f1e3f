// A few of issue 14's inputs through the real bin, spawned as a user runs it: the exit code and stderr
// the shell sees, with no stack trace (the in-process tables cover the rest).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectCleanFailure } from './fixtures/clean-failure.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const bin = fileURLToPath(new URL('../bin/khva-bench.mjs', import.meta.url));
const tempDir = useTempDirs();

const bomb = `a: &a [x, x, x, x, x, x, x, x, x]\n${Array.from(
  { length: 9 },
  (_, i) =>
    `l${i}: &l${i} [${Array(9)
      .fill(i === 0 ? '*a' : `*l${i - 1}`)
      .join(', ')}]`,
).join('\n')}\n`;

describe('khva-bench (spawned) with hostile input', () => {
  it.each([
    {
      args: ['run', '--config', 'bomb.yaml'],
      message: 'khva-bench: invalid config bomb.yaml: (syntax): too many YAML aliases',
    },
    {
      args: ['scenario', 'bomb.yaml'],
      message: 'khva-bench: invalid scenario bomb.yaml: (syntax): too many YAML aliases',
    },
    {
      args: ['run', '--backends', 'vmapp'],
      message: 'khva-bench: --backends: unknown backend "vmapp" (allowed: direct-map',
    },
    {
      args: ['scenario', 'missing.yaml'],
      message: 'khva-bench: cannot read scenario file missing.yaml: no such file (ENOENT)',
    },
  ])('$args.0 $args.1 $args.2 -> exit 2, one clean line', ({ args, message }) => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'bomb.yaml'), bomb);
    const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith(message), r.stderr).toBe(true);
    expect(r.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expectCleanFailure(r.stderr);
  });
});
