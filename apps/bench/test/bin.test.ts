// The real bin, spawned as a user would run it, against the built dist (test/global-setup.ts builds it)
// and the shipped registry.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultRegistry } from '../src/registry.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const bin = fileURLToPath(new URL('../bin/khva-bench.mjs', import.meta.url));
const tempDir = useTempDirs();

function khvaBench(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('bin/khva-bench.mjs', () => {
  it('list prints one line per backend and workload of the shipped registry', () => {
    const r = khvaBench(['list'], tempDir());
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    const expected = [
      ...defaultRegistry.backends.names().map((n) => `backend ${n}`),
      ...defaultRegistry.workloads.names().map((n) => `workload ${n}`),
    ];
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(expected);
  });

  it('a bad config exits 2, names the fields and the allowed values, and writes nothing', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'bad.yaml'),
      'seed: 1\nmachine: { cpus: 0, tlb: 64 }\nbackends: [vmap]\nworkloads: { kvmclock: {} }\nkernel: { reachGuard: maybe }\n',
    );
    const r = khvaBench(['run', '--config', 'bad.yaml', '--out', 'out'], cwd);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('khva-bench: invalid config bad.yaml:');
    expect(r.stderr).toContain('machine.cpus: Too small: expected number to be >=1');
    expect(r.stderr).toContain('machine.tlb: unknown field (allowed: cpus, tlbEntries, ghz, memGiB)');
    expect(r.stderr).toContain(
      'kernel.reachGuard: Invalid input: expected boolean, received string (allowed: true, false)',
    );
    expect(readdirSync(cwd)).toEqual(['bad.yaml']);
  });
});
