// `backendModules`: a config names a third-party backend module; its backends join the built-ins. The run
// is the real bin, spawned against the built dist; the error and `list` paths run in-process.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { EXIT_OK, EXIT_USAGE } from '../src/exit-codes.ts';
import { defaultRegistry } from '../src/registry.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const bin = fileURLToPath(new URL('../bin/khva-bench.mjs', import.meta.url));
const config = fileURLToPath(new URL('./fixtures/third-party.yaml', import.meta.url));
const tempDir = useTempDirs();

interface Row {
  workload: string;
  backend: string;
  ops: number;
  safety: { oopses: number };
}

describe('backendModules', () => {
  it('khva-bench run reports the third-party backend next to the built-in one', () => {
    const out = join(tempDir(), 'out');
    const r = spawnSync(process.execPath, [bin, 'run', '--config', config, '--out', out, '--quiet'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(EXIT_OK);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as {
      config: { backends: string[]; backendModules?: string[] };
      results: Row[];
    };
    expect(report.config.backendModules).toEqual(['../../../../packages/backends/examples/kmap-restore.mjs']);
    const rows = report.results.filter((x) => x.backend === 'kmap-restore');
    expect(rows.map((x) => x.workload)).toEqual(['kvmclock', 'gmem-churn']);
    // 200 pvclock updates went through the third-party backend's mapping, none of them oopsed.
    expect(rows[0]!.ops).toBe(200);
    expect(rows[0]!.safety.oopses).toBe(0);
    expect(r.stdout).toContain('kmap-restore');
  });

  it('khva-bench sweep runs the third-party backend in its workers', () => {
    const dir = tempDir();
    const module = fileURLToPath(
      new URL('../../../packages/backends/examples/kmap-restore.mjs', import.meta.url),
    );
    // One point, one tiny run: the module's path is relative to the sweep file, as in a config.
    writeFileSync(
      join(dir, 'sweep.yaml'),
      [
        'base:',
        '  seed: 3',
        `  backendModules: [${JSON.stringify(relative(dir, module))}]`,
        '  machine: { cpus: 1 }',
        '  backends: [kmap-restore]',
        '  workloads: { kvmclock: { vms: 1, vcpusPerVm: 1, updates: 20, secretPages: 1 } }',
        'points:',
        '  - { seed: 3 }',
        '',
      ].join('\n'),
    );
    const out = join(dir, 'out');
    const r = spawnSync(
      process.execPath,
      [bin, 'sweep', '--config', join(dir, 'sweep.yaml'), '--out', out, '--jobs', '1', '--quiet'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(EXIT_OK);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8')) as {
      points: { config: { backendModules?: string[] }; results?: Row[]; error?: string }[];
    };
    const point = sweep.points[0]!;
    expect(point.error).toBeUndefined();
    expect(point.config.backendModules).toEqual([relative(dir, module)]);
    expect(point.results?.map((x) => [x.backend, x.workload, x.ops])).toEqual([
      ['kmap-restore', 'kvmclock', 20],
    ]);
  });

  it('an unloadable module is a config error naming the specifier (exit 2)', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'c.yaml'),
      'seed: 1\nmachine: { cpus: 1 }\nbackendModules: [./no-such-backend.mjs]\nbackends: [vmap]\nworkloads: { kvmclock: {} }\n',
    );
    const io = memoryIo(dir);
    expect(await main(['run', '--config', 'c.yaml', '--quiet'], defaultRegistry, io)).toBe(EXIT_USAGE);
    expect(io.err()).toContain('backendModules[0]: "./no-such-backend.mjs": cannot load the backend module');
    const listed = memoryIo(dir);
    expect(await main(['list', '--config', 'c.yaml'], defaultRegistry, listed)).toBe(EXIT_USAGE);
    expect(listed.err()).toContain('"./no-such-backend.mjs"');
  });

  it('a module exporting no backend factory is refused, naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'empty.mjs'), 'export const answer = 42;\n');
    writeFileSync(join(dir, 'c.yaml'), 'backendModules: [./empty.mjs]\n');
    const io = memoryIo(dir);
    expect(await main(['list', '--config', 'c.yaml'], defaultRegistry, io)).toBe(EXIT_USAGE);
    expect(io.err()).toContain('backendModules[0]: "./empty.mjs": the module exports no backend factory');
  });

  it("khva-bench list --config lists the module's backends after the built-ins", async () => {
    const io = memoryIo(process.cwd());
    expect(await main(['list', '--config', config], defaultRegistry, io)).toBe(EXIT_OK);
    const backends = io
      .out()
      .split('\n')
      .filter((l) => l.startsWith('backend '))
      .map((l) => l.split(/\s+/)[1]);
    expect(backends).toEqual([...defaultRegistry.backends.names(), 'kmap-restore']);
  });
});
