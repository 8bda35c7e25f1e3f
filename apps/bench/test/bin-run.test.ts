// `khva-bench run` and `khva-bench scenario` as a user runs them: the real bin, spawned, against the built
// dist (test/global-setup.ts builds it) and the shipped model.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtinBackendNames } from '@khva/backends';
import { builtinWorkloads } from '@khva/workloads';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { useTempDirs } from './fixtures/temp-dir.ts';

const bin = fileURLToPath(new URL('../bin/khva-bench.mjs', import.meta.url));
const defaultConfig = fileURLToPath(new URL('../configs/default.yaml', import.meta.url));
const r02 = fileURLToPath(
  new URL('../../../packages/pfncache/scenarios/r02-invalidation-in-window.yaml', import.meta.url),
);
const tempDir = useTempDirs();

/** The bound for the default config: under a minute (on 2 cores). */
const DEFAULT_RUN_LIMIT_MS = 60_000;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the bin without blocking, so two runs can go side by side; killed after `timeout` ms. */
function khvaBenchAsync(args: string[], cwd: string, timeout = DEFAULT_RUN_LIMIT_MS): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== null) reject(new Error(`khva-bench ${args.join(' ')} killed by ${signal}:\n${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

function khvaBench(args: string[], cwd: string): Exit {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('khva-bench run (default config)', () => {
  let cwd = '';
  let first: Exit;
  let second: Exit;
  const defaults = parseYaml(readFileSync(defaultConfig, 'utf8')) as {
    seed: number;
    backends: string[];
    workloads: Record<string, unknown>;
  };

  beforeAll(async () => {
    cwd = tempDir();
    // Side by side: the default run, and the same config with its seed given on the command line. Each must
    // finish within the bound or its spawn is killed and the test fails.
    [first, second] = await Promise.all([
      khvaBenchAsync(['run', '--out', 'first'], cwd),
      khvaBenchAsync(['run', '--out', 'second', '--seed', String(defaults.seed)], cwd),
    ]);
  }, 2 * DEFAULT_RUN_LIMIT_MS);

  it('succeeds, prints the table and writes report.json, report.md and report.html', () => {
    expect(first.code).toBe(0);
    // On a pipe, progress is one line per finished run.
    expect(first.stderr).not.toContain('khva-bench:');
    expect(first.stderr).toMatch(/^\[36\/36\] mixed on ephmap \([\d.]+ s\)$/m);
    expect(first.stdout).toContain('kvmclock');
    expect(first.stdout).toMatch(
      /Wrote first\/report\.json, report\.md, report\.html \(36 runs in [\d.]+ s\)/,
    );
    expect(readdirSync(join(cwd, 'first')).sort()).toEqual([
      '.khva-report',
      'report.html',
      'report.json',
      'report.md',
    ]);

    const report = JSON.parse(readFileSync(join(cwd, 'first', 'report.json'), 'utf8')) as {
      schema: string;
      seed: number;
      results: { workload: string; backend: string }[];
    };
    expect(report.schema).toBe('khva.report/v1');
    expect(report.seed).toBe(defaults.seed);
    expect(report.results.map((r) => `${r.workload}/${r.backend}`)).toEqual(
      Object.keys(defaults.workloads).flatMap((w) => defaults.backends.map((b) => `${w}/${b}`)),
    );
    expect(readFileSync(join(cwd, 'first', 'report.md'), 'utf8')).toMatch(/^# khva-bench report\n/);
    expect(readFileSync(join(cwd, 'first', 'report.html'), 'utf8')).toMatch(/^<!doctype html>/);
  });

  it('gives a byte-identical report.json for the same seed', () => {
    expect(second.code).toBe(0);
    const a = readFileSync(join(cwd, 'first', 'report.json'));
    const b = readFileSync(join(cwd, 'second', 'report.json'));
    expect(b.equals(a)).toBe(true);
  });

  it('gives different numbers for another seed (the seed is used)', () => {
    const dir = tempDir();
    const run = (seed: number, out: string) =>
      khvaBench(
        [
          'run',
          '--workloads',
          'kvmclock',
          '--backends',
          'vmap',
          '--seed',
          String(seed),
          '--out',
          out,
          '--quiet',
        ],
        dir,
      );
    expect(run(7, 'a').code).toBe(0);
    expect(run(8, 'b').code).toBe(0);
    const results = (out: string) => JSON.parse(readFileSync(join(dir, out, 'report.json'), 'utf8')).results;
    expect(results('b')).not.toEqual(results('a'));
  });
});

describe('khva-bench run with a bad config', () => {
  it('exits 2 naming the backend option the factory refuses, and writes nothing', () => {
    const cwd = tempDir();
    writeFileSync(
      join(cwd, 'bad.yaml'),
      'seed: 1\nmachine: { cpus: 2 }\nbackends: [memremap-strict]\nworkloads: { kvmclock: {} }\n' +
        'backendOptions: { memremap-strict: { skip: true }, vmapp: {} }\n',
    );
    const r = khvaBench(['run', '--config', 'bad.yaml', '--out', 'out'], cwd);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'khva-bench: invalid config bad.yaml:\n' +
        '  backendOptions.memremap-strict.skip: unknown option "skip"; known options: skipAbsent\n' +
        `  backendOptions.vmapp: unknown backend (allowed: ${builtinBackendNames.join(', ')})\n`,
    );
    expect(readdirSync(cwd)).toEqual(['bad.yaml']);
  });
});

describe('khva-bench scenario', () => {
  it('prints the trace of an example scenario, one JSON object per step, and exits 0', () => {
    const r = khvaBench(['scenario', r02], tempDir());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const trace = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(trace.map((s) => [s.step, s.thread, s.op, s.result])).toEqual([
      [1, 'vcpu0', 'activate', 'paused'],
      [2, 'vmm', 'migrate-page', 0],
      [3, 'vcpu0', 'resume', 0],
      [4, 'vcpu0', 'use', 0],
    ]);
    // R2: the refresh retried after the migration, unmapping its first mapping, and ends valid.
    expect(trace[2]).toMatchObject({ valid: true, deltas: { mapCalls: 1, unmapCalls: 1 }, violations: [] });
    expect(trace[3]).toMatchObject({ valid: true, violations: [] });
  });

  it('exits 1 at the first wrong expect, naming the step and both values', () => {
    const dir = tempDir();
    const text = readFileSync(r02, 'utf8');
    const wrong = text.replace('expect: { result: 0, valid: false }', 'expect: { result: 0, valid: true }');
    expect(wrong).not.toBe(text);
    writeFileSync(join(dir, 'r02-wrong.yaml'), wrong);
    const r = khvaBench(['scenario', 'r02-wrong.yaml'], dir);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(r.stderr).toBe(
      'khva-bench: scenario r02-wrong.yaml failed: step 2 (vmm migrate-page): expected valid true, got false\n',
    );
  });
});

describe('khva-bench list', () => {
  it('prints every backend and every workload of the model, with DESIGN.md names', () => {
    const r = khvaBench(['list'], tempDir());
    expect(r.code).toBe(0);
    const rows = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(/\s+/).slice(0, 2));
    expect(rows.filter(([k]) => k === 'backend').map(([, n]) => n)).toEqual([...builtinBackendNames]);
    expect(rows.filter(([k]) => k === 'workload').map(([, n]) => n)).toEqual(
      builtinWorkloads.map((w) => w.name),
    );
    const named = rows.map(([, n]) => n);
    for (const name of ['direct-map', 'vmap', 'memremap-strict', 'memremap-relaxed', 'mm-local', 'ephmap'])
      expect(named).toContain(name);
    for (const name of ['kvmclock', 'xen-evtchn', 'memslot-churn', 'gmem-churn', 'vm-churn', 'mixed'])
      expect(named).toContain(name);
  });
});
