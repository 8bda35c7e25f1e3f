import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchRegistry } from '../src/bench-registry.ts';
import { main } from '../src/cli.ts';
import {
  brokenWorkload,
  createEmptyRegistry,
  createFakeRegistry,
  FAKE_CONFIG_YAML,
} from './fixtures/fake-model.ts';
import { memoryIo } from './fixtures/memory-io.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const tempDir = useTempDirs();

/** Runs `main` in a fresh directory holding `config.yaml`; returns the exit code, the io and the directory. */
async function cli(
  argv: string[],
  registry: BenchRegistry = createFakeRegistry(),
  config = FAKE_CONFIG_YAML,
) {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'config.yaml'), config);
  const io = memoryIo(cwd);
  const code = await main(argv, registry, io);
  return { code, io, cwd };
}

describe('khva-bench run', () => {
  it('runs every workload on every backend and writes the three reports', async () => {
    const { code, io, cwd } = await cli(['run', '--config', 'config.yaml', '--out', 'out']);
    expect(io.err()).toBe(
      [
        '[1/6] fake-churn on fake-direct (0.3 s)',
        '[2/6] fake-churn on fake-global (0.3 s)',
        '[3/6] fake-churn on fake-local (0.3 s)',
        '[4/6] fake-clock on fake-direct (1.3 s)',
        '[5/6] fake-clock on fake-global (1.3 s)',
        '[6/6] fake-clock on fake-local (1.3 s)',
        '',
      ].join('\n'),
    );
    expect(code).toBe(0);
    expect(readdirSync(join(cwd, 'out')).sort()).toEqual([
      '.khva-report',
      'report.html',
      'report.json',
      'report.md',
    ]);
    expect(readdirSync(cwd).sort()).toEqual(['config.yaml', 'out']);
    const report = JSON.parse(readFileSync(join(cwd, 'out/report.json'), 'utf8'));
    expect(report.schema).toBe('khva.report/v1');
    expect(report.results).toHaveLength(6);
    const out = io.out();
    expect(out).toContain('seed 42 · 4 CPUs');
    expect(out).toMatch(/^fake-clock\s+cyc\/op\s+mapfail\s+wblock\s+IPIs\s+VA peak\s+oops\s+exposure\s/m);
    expect(out).toMatch(/^fake-local\s/m);
    expect(out).toContain('* best in its column (lower is better everywhere)');
    expect(out).toContain('Wrote out/report.json, report.md, report.html (6 runs in ');
  });

  it('gives the same report.json for the same seed, a different one for another seed', async () => {
    const read = async (argv: string[]) => {
      const { cwd, code } = await cli(['run', '--config', 'config.yaml', '--quiet', ...argv]);
      expect(code).toBe(0);
      return readFileSync(join(cwd, 'khva-report/report.json'), 'utf8');
    };
    const first = await read([]);
    expect(await read([])).toBe(first);
    expect(await read(['--seed', '7'])).not.toBe(first);
    expect(JSON.parse(await read(['--seed', '7'])).seed).toBe(7);
  });

  it('selects backends and workloads from flags', async () => {
    const { code, cwd } = await cli([
      'run',
      '--config',
      'config.yaml',
      '--quiet',
      '--backends',
      'fake-local,fake-direct',
      '--workloads',
      'fake-clock',
    ]);
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(join(cwd, 'khva-report/report.json'), 'utf8'));
    expect(report.results.map((r: { backend: string }) => r.backend)).toEqual(['fake-local', 'fake-direct']);
  });

  it('is silent on stderr with --quiet', async () => {
    const { code, io } = await cli(['run', '--config', 'config.yaml', '--quiet']);
    expect(code).toBe(0);
    expect(io.err()).toBe('');
  });

  it('exits 2 on a bad config, names the fields and allowed values, and writes nothing', async () => {
    const bad = FAKE_CONFIG_YAML.replace('cpus: 4', 'cpus: 4, threads: 2').replace(
      'fake-local',
      'fake-remote',
    );
    const { code, io, cwd } = await cli(['run', '--config', 'config.yaml', '--out', 'out'], undefined, bad);
    expect(code).toBe(2);
    expect(io.err()).toBe(
      [
        'khva-bench: invalid config config.yaml:',
        '  machine.threads: unknown field (allowed: cpus, tlbEntries, ghz, memGiB)',
        '  backends[2]: unknown backend "fake-remote" (allowed: fake-direct, fake-global, fake-local)',
        '',
      ].join('\n'),
    );
    expect(io.out()).toBe('');
    expect(readdirSync(cwd)).toEqual(['config.yaml']);
  });

  it('exits 2 on an unknown flag value', async () => {
    const { code, io } = await cli(['run', '--config', 'config.yaml', '--backends', 'fake-local,nope']);
    expect(code).toBe(2);
    expect(io.err()).toContain(
      '--backends: unknown backend "nope" (allowed: fake-direct, fake-global, fake-local)',
    );
  });

  it('exits 1 and writes nothing when a workload fails or reports impossible numbers', async () => {
    for (const mode of ['throw', 'nan'] as const) {
      const registry = createFakeRegistry([brokenWorkload(mode)]);
      const config = `${FAKE_CONFIG_YAML}  fake-broken: {}\n`;
      const { code, io, cwd } = await cli(['run', '--config', 'config.yaml', '--quiet'], registry, config);
      expect(code, mode).toBe(1);
      expect(io.err(), mode).toContain(
        'khva-bench: run failed, no report written: workload "fake-broken" on backend',
      );
      expect(io.err(), mode).toContain(mode === 'throw' ? 'simulated model bug' : 'cost.cyclesPerOp is NaN');
      expect(readdirSync(cwd), mode).toEqual(['config.yaml']);
    }
  });

  it('keeps the previous report when a later run fails', async () => {
    const { cwd } = await cli(['run', '--config', 'config.yaml', '--quiet']);
    const before = readFileSync(join(cwd, 'khva-report/report.json'), 'utf8');
    const registry = createFakeRegistry([brokenWorkload('throw')]);
    writeFileSync(join(cwd, 'broken.yaml'), `${FAKE_CONFIG_YAML}  fake-broken: {}\n`);
    const io = memoryIo(cwd);
    expect(await main(['run', '--config', 'broken.yaml', '--quiet'], registry, io)).toBe(1);
    expect(readFileSync(join(cwd, 'khva-report/report.json'), 'utf8')).toBe(before);
  });

  it('exits 2 before any run when --out names a file, leaving no temporary files', async () => {
    const { cwd } = await cli(['list']);
    writeFileSync(join(cwd, 'config.yaml'), FAKE_CONFIG_YAML);
    writeFileSync(join(cwd, 'taken'), 'a file, not a directory');
    const io = memoryIo(cwd);
    expect(
      await main(['run', '--config', 'config.yaml', '--out', 'taken', '--quiet'], createFakeRegistry(), io),
    ).toBe(2);
    expect(io.err()).toBe(`khva-bench: --out: ${join(cwd, 'taken')} is not a directory\n`);
    expect(readdirSync(cwd).sort()).toEqual(['config.yaml', 'taken']);
  });

  it('refuses to run without a model, rather than inventing numbers', async () => {
    const { code, io, cwd } = await cli(['run', '--config', 'config.yaml'], createEmptyRegistry());
    expect(code).toBe(1);
    expect(io.err()).toContain(
      'this build has no workloads or backends wired in (apps/bench/src/registry.ts)',
    );
    expect(readdirSync(cwd)).toEqual(['config.yaml']);
  });

  it('uses the shipped default config when --config is absent', async () => {
    const { code, io } = await cli(['run'], createFakeRegistry());
    expect(code).toBe(2);
    expect(io.err()).toMatch(/^khva-bench: invalid config .*configs\/default\.yaml:/);
  });
});

describe('khva-bench list', () => {
  it('prints one line per backend and per workload', async () => {
    const { code, io } = await cli(['list']);
    expect(code).toBe(0);
    expect(io.out().trimEnd().split('\n')).toEqual([
      'backend   fake-direct  test double backend fake-direct',
      'backend   fake-global  test double backend fake-global',
      'backend   fake-local   test double backend fake-local',
      'workload  fake-clock   test double: a clock-like workload with fake numbers',
      'workload  fake-churn   test double: a churn-like workload with fake numbers',
    ]);
    expect(io.err()).toBe('');
  });
});

describe('khva-bench scenario', () => {
  function scenarioFile(cwd: string, steps: object[]): string {
    mkdirSync(join(cwd, 'scenarios'), { recursive: true });
    writeFileSync(join(cwd, 'scenarios/s.json'), JSON.stringify({ steps }));
    return 'scenarios/s.json';
  }

  it('prints the trace as JSON lines and exits 0 when every expect holds', async () => {
    const { cwd } = await cli(['list']);
    const file = scenarioFile(cwd, [{ op: 'activate', expect: 0, actual: 0 }, { op: 'use' }]);
    const io = memoryIo(cwd);
    expect(await main(['scenario', file, '--backend', 'fake-local'], createFakeRegistry(), io)).toBe(0);
    expect(
      io
        .out()
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { step: 0, thread: 't0', op: 'activate', backend: 'fake-local', result: 0 },
      { step: 1, thread: 't0', op: 'use', backend: 'fake-local', result: 0 },
    ]);
  });

  it('exits 1 naming the step and both values when an expect fails', async () => {
    const { cwd } = await cli(['list']);
    const file = scenarioFile(cwd, [
      { op: 'activate' },
      { op: 'refresh', expect: 0, actual: 'EFAULT' },
      { op: 'use' },
    ]);
    const io = memoryIo(cwd);
    expect(await main(['scenario', file], createFakeRegistry(), io)).toBe(1);
    expect(io.out().trimEnd().split('\n')).toHaveLength(2);
    expect(io.err()).toBe(
      `khva-bench: scenario ${file} failed: step 2 (t0 refresh): expected 0, got "EFAULT"\n`,
    );
  });

  it('exits 2 for an unknown backend or a missing file, 1 when no runner is wired in', async () => {
    const unknown = await cli(['scenario', 'config.yaml', '--backend', 'vmap']);
    expect(unknown.code).toBe(2);
    expect(unknown.io.err()).toContain(
      '--backend: unknown backend "vmap" (allowed: fake-direct, fake-global, fake-local)',
    );
    const missing = await cli(['scenario', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.io.err()).toBe('khva-bench: cannot read scenario file nope.yaml: no such file (ENOENT)\n');
    const unwired = await cli(['scenario', 'config.yaml'], createEmptyRegistry());
    expect(unwired.code).toBe(1);
    expect(unwired.io.err()).toContain('no scenario runner wired in');
  });

  it('exits 2 when the runner cannot read the file', async () => {
    const { code, io } = await cli(['scenario', 'config.yaml']);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/^khva-bench: cannot run scenario config\.yaml: /);
  });
});

describe('usage', () => {
  it('exits 0 for --help and --version, 2 for mistakes', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.io.out()).toContain('Usage: khva-bench');
    expect((await cli(['run', '--help'])).io.out()).toContain('--workloads <names>');
    expect((await cli(['--version'])).code).toBe(0);
    for (const argv of [[], ['frobnicate'], ['run', '--seed', '-1'], ['run', '--bogus'], ['scenario']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.io.err(), argv.join(' ')).not.toBe('');
    }
    expect(existsSync(join((await cli(['run', '--seed', 'x'])).cwd, 'khva-report'))).toBe(false);
  });
});
