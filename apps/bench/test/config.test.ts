import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BackendRegistry } from '@khva/backend-api';
import { defaultKernelOptions } from '@khva/kvm';
import { describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../src/config/config-error.ts';
import { loadConfigFile, parseConfigText, validateConfig } from '../src/config/load.ts';
import {
  createEmptyRegistry,
  createFakeRegistry,
  FAKE_CONFIG_YAML,
  fakeBackend,
} from './fixtures/fake-model.ts';
import { refusedWith } from './fixtures/refused-with.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const registry = createFakeRegistry();
const tempDir = useTempDirs();

function base(): Record<string, unknown> {
  return parseConfigText(FAKE_CONFIG_YAML, 'yaml', 'test.yaml');
}

/** The formatted issues of a config that must fail. */
function issuesOf(raw: Record<string, unknown>, overrides = {}, reg = registry): string[] {
  return refusedWith(() => validateConfig(raw, reg, 'test.yaml', overrides));
}

describe('config validation', () => {
  it('accepts a valid config, applies defaults, and keeps the workload order of the file', () => {
    const config = validateConfig(base(), registry, 'test.yaml');
    expect(config).toEqual({
      seed: 42,
      machine: { cpus: 4, tlbEntries: 1536, ghz: 2.7, memGiB: 64 },
      backends: ['fake-direct', 'fake-global', 'fake-local'],
      workloads: { 'fake-churn': { rounds: 30, mode: 'gentle' }, 'fake-clock': { vcpus: 3, updates: 100 } },
      kernel: defaultKernelOptions,
      calibration: {},
      backendOptions: {},
    });
    expect(Object.keys(config.workloads)).toEqual(['fake-churn', 'fake-clock']);
  });

  it('names the field of a bad value', () => {
    expect(issuesOf({ ...base(), machine: { cpus: 0 } })).toEqual([
      'machine.cpus: Too small: expected number to be >=1',
    ]);
  });

  it('names an unknown field and the allowed ones', () => {
    expect(issuesOf({ ...base(), machine: { cpus: 2, cpu: 4 } })).toEqual([
      'machine.cpu: unknown field (allowed: cpus, tlbEntries, ghz, memGiB)',
    ]);
    expect(issuesOf({ ...base(), verbose: true })).toEqual([
      'verbose: unknown field (allowed: seed, machine, backends, workloads, kernel, calibration, backendOptions, backendModules)',
    ]);
  });

  it('names an unknown backend and the known ones', () => {
    expect(issuesOf({ ...base(), backends: ['fake-direct', 'vmapp'] })).toEqual([
      'backends[1]: unknown backend "vmapp" (allowed: fake-direct, fake-global, fake-local)',
    ]);
  });

  it('names an unknown workload and the known ones', () => {
    expect(issuesOf({ ...base(), workloads: { 'fake-clok': {} } })).toEqual([
      'workloads.fake-clok: unknown workload (allowed: fake-clock, fake-churn)',
    ]);
  });

  it("checks a workload's params with its own schema, strictly", () => {
    expect(
      issuesOf({ ...base(), workloads: { 'fake-churn': { rounds: 1.5, mode: 'wild', speed: 2 } } }),
    ).toEqual([
      'workloads.fake-churn.rounds: Invalid input: expected int, received number',
      'workloads.fake-churn.mode: Invalid option: expected one of "gentle"|"harsh" (allowed: gentle, harsh)',
      'workloads.fake-churn.speed: unknown field (allowed: rounds, mode)',
    ]);
  });

  it('lists every issue at once, booleans with their allowed values, missing fields as required', () => {
    const { seed: _seed, ...noSeed } = base();
    const issues = issuesOf({
      ...noSeed,
      kernel: { flushOnZap: 'no' },
      backends: ['fake-local', 'fake-local'],
    });
    expect(issues).toEqual([
      'seed: required (number)',
      'backends[1]: duplicate backend "fake-local"',
      'kernel.flushOnZap: Invalid input: expected boolean, received string (allowed: true, false)',
    ]);
  });

  it('rejects an empty selection', () => {
    expect(issuesOf({ ...base(), backends: [], workloads: {} })).toEqual([
      'backends: name at least one backend',
      'workloads: name at least one workload',
    ]);
  });

  it('restricts calibration rows when the registry names them', () => {
    const withRows = { ...registry, calibrationRows: ['invlpg', 'ipi'] };
    expect(issuesOf({ ...base(), calibration: { invlpg: 300, vmalloc: 1 } }, {}, withRows)).toEqual([
      'calibration.vmalloc: unknown calibration row (allowed: invlpg, ipi)',
    ]);
    const ok = validateConfig({ ...base(), calibration: { ipi: 2000, invlpg: 250 } }, withRows, 't');
    expect(ok.calibration).toEqual({ invlpg: 250, ipi: 2000 });
    expect(Object.keys(ok.calibration)).toEqual(['invlpg', 'ipi']);
    expect(issuesOf({ ...base(), calibration: { invlpg: -1 } }, {}, withRows)).toEqual([
      'calibration.invlpg: Too small: expected number to be >=0',
    ]);
  });

  it('accepts a $schema reference for editors and leaves it out of the config', () => {
    const config = validateConfig({ $schema: './schema.json', ...base() }, registry, 't');
    expect(config).not.toHaveProperty('$schema');
  });
});

describe('command-line overrides', () => {
  it('replaces seed and backends, and selects workloads with config params or defaults, in flag order', () => {
    const config = validateConfig(base(), registry, 't', {
      seed: 9,
      backends: ['fake-local'],
      workloads: ['fake-clock', 'fake-churn'],
    });
    expect(config.seed).toBe(9);
    expect(config.backends).toEqual(['fake-local']);
    expect(config.workloads).toEqual({
      'fake-clock': { vcpus: 3, updates: 100 },
      'fake-churn': { rounds: 30, mode: 'gentle' },
    });
    const { workloads: _w, ...noWorkloads } = base();
    expect(validateConfig(noWorkloads, registry, 't', { workloads: ['fake-clock'] }).workloads).toEqual({
      'fake-clock': { vcpus: 2, updates: 200 },
    });
  });

  it('names the flag of an unknown name', () => {
    expect(issuesOf(base(), { backends: ['nope'], workloads: ['fake-clock', 'gone'] })).toEqual([
      '--backends: unknown backend "nope" (allowed: fake-direct, fake-global, fake-local)',
      '--workloads: unknown workload "gone" (allowed: fake-clock, fake-churn)',
      'backends[0]: unknown backend "nope" (allowed: fake-direct, fake-global, fake-local)',
      'workloads.gone: unknown workload (allowed: fake-clock, fake-churn)',
    ]);
  });
});

describe('config files', () => {
  it('reads YAML and JSON alike', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), FAKE_CONFIG_YAML);
    writeFileSync(join(dir, 'a.json'), JSON.stringify(base()));
    const fromYaml = await loadConfigFile(join(dir, 'a.yaml'), registry);
    expect(await loadConfigFile(join(dir, 'a.json'), registry)).toEqual(fromYaml);
  });

  it('reports syntax errors, duplicate keys, non-mappings and missing files as ConfigErrors', async () => {
    const dir = tempDir();
    const cases: [string, string, RegExp][] = [
      ['bad.yaml', 'seed: [1, 2', /^\(syntax\): /],
      ['dup.yaml', 'seed: 1\nseed: 2\n', /^seed: duplicate key \(line 2\)/],
      ['bad.json', '{"seed": 1,}', /^\(syntax\): /],
      ['list.yaml', '- a\n- b\n', /^\(root\): expected a mapping/],
    ];
    for (const [name, text, pattern] of cases) {
      writeFileSync(join(dir, name), text);
      const error = await loadConfigFile(join(dir, name), registry).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(ConfigError);
      expect(formatIssue((error as ConfigError).issues[0] ?? { path: '', message: '' }), name).toMatch(
        pattern,
      );
    }
    const missing = await loadConfigFile(join(dir, 'none.yaml'), registry).catch((e: unknown) => e);
    expect((missing as ConfigError).message).toContain('(file): cannot read the file: no such file (ENOENT)');
  });
});

describe('an empty registry (nothing wired in yet)', () => {
  it('checks the shape but cannot check names', () => {
    const empty = createEmptyRegistry();
    expect(validateConfig(base(), empty, 't').backends).toEqual(['fake-direct', 'fake-global', 'fake-local']);
    expect(issuesOf({ ...base(), machine: { cpus: -1, cpu: 2 } }, {}, empty)).toEqual([
      'machine.cpus: Too small: expected number to be >=1',
      'machine.cpu: unknown field (allowed: cpus, tlbEntries, ghz, memGiB)',
    ]);
  });

  it('says so when a registry is asked for an unknown name', () => {
    expect(() => new BackendRegistry([fakeBackend('a', 'A')]).get('b')).toThrow('unknown backend "b"');
  });
});
