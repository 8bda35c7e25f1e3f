// `backendOptions`: validated at load time by creating each backend once (the shipped registry's real
// factories), echoed in report.json, and handed to the workload run of that backend only.

import { BackendRegistry } from '@khva/backend-api';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../src/config/load.ts';
import { defaultRegistry } from '../src/registry.ts';
import { buildReport } from '../src/report/report.ts';
import { runMatrix } from '../src/run/run-matrix.ts';
import { defineWorkload, type WorkloadRunContext } from '../src/workload.ts';
import { createWorkloadRegistry } from '../src/workload-registry.ts';
import { fakeBackend, fakeClock } from './fixtures/fake-model.ts';
import { silentProgress } from './fixtures/fake-report.ts';
import { refusedWith } from './fixtures/refused-with.ts';

const base = {
  seed: 1,
  machine: { cpus: 2 },
  backends: ['memremap-strict', 'vmap'],
  workloads: { kvmclock: { updates: 10 } },
};

const issuesOf = (backendOptions: unknown): string[] =>
  refusedWith(() => validateConfig({ ...base, backendOptions }, defaultRegistry, 't.yaml'));

describe('backendOptions with the shipped backends', () => {
  it('is optional and defaults to no options', () => {
    expect(validateConfig(base, defaultRegistry, 't').backendOptions).toEqual({});
  });

  it('accepts what the factory accepts, keeping the values as written', () => {
    const config = validateConfig(
      {
        ...base,
        backendOptions: { 'memremap-strict': { skipAbsent: true }, vmap: { lazyMaxPagesOverride: 64 } },
      },
      defaultRegistry,
      't',
    );
    expect(config.backendOptions).toEqual({
      vmap: { lazyMaxPagesOverride: 64 },
      'memremap-strict': { skipAbsent: true },
    });
  });

  it("turns the factory's refusal into an issue naming the option and the known ones", () => {
    expect(issuesOf({ 'memremap-strict': { skip: true } })).toEqual([
      'backendOptions.memremap-strict.skip: unknown option "skip"; known options: skipAbsent',
    ]);
    expect(issuesOf({ 'mm-local': { slots: 2 } })).toEqual([
      'backendOptions.mm-local.slots: unknown option "slots"; it takes no options',
    ]);
    expect(issuesOf({ vmap: { lazyMaxPagesOverride: -1 } })).toEqual([
      'backendOptions.vmap.lazyMaxPagesOverride: must be an integer >= 0, got -1',
    ]);
  });

  it('reports only the bad option when good and bad are mixed, and checks documented types', () => {
    expect(issuesOf({ 'memremap-strict': { skipAbsent: true, skip: 1 } })).toEqual([
      'backendOptions.memremap-strict.skip: unknown option "skip"; known options: skipAbsent',
    ]);
    expect(issuesOf({ 'memremap-relaxed': { nonLazyIounmap: 'yes' } })).toEqual([
      'backendOptions.memremap-relaxed.nonLazyIounmap: Invalid input: expected boolean, received string (allowed: true, false)',
    ]);
  });

  it('names an unknown backend and the known ones', () => {
    expect(issuesOf({ vmapp: {} })).toEqual([
      `backendOptions.vmapp: unknown backend (allowed: ${defaultRegistry.backends.names().join(', ')})`,
    ]);
  });
});

describe('backendOptions in a run', () => {
  const seen: { backend: string; options: WorkloadRunContext['backendOptions'] }[] = [];
  const probe = defineWorkload({
    name: 'probe',
    summary: 'test double: records the options it was given',
    params: fakeClock.params,
    run(params, ctx) {
      seen.push({ backend: ctx.backend.name, options: ctx.backendOptions });
      return fakeClock.run(params, ctx);
    },
  });
  const checked: string[] = [];
  const registry = {
    workloads: createWorkloadRegistry([probe]),
    backends: new BackendRegistry(
      (['fake-a', 'fake-b'] as const).map((name) =>
        fakeBackend(
          name,
          name === 'fake-a' ? 'A' : 'B',
          name === 'fake-a' ? { knob: false } : {},
          (options) => {
            checked.push(`${name} ${JSON.stringify(options)}`);
            if ('bad' in options) throw new TypeError(`${name}: unknown option "bad"; known options: knob`);
          },
        ),
      ),
    ),
  };

  it('passes each backend its own options only, and echoes them in report.json', async () => {
    const config = validateConfig(
      {
        seed: 3,
        machine: { cpus: 1 },
        backends: ['fake-a', 'fake-b'],
        workloads: { probe: {} },
        backendOptions: { 'fake-a': { knob: true } },
      },
      registry,
      't',
    );
    expect(checked).toEqual(['fake-a {"knob":true}']);
    const runs = await runMatrix(config, registry, silentProgress);
    expect(seen).toEqual([
      { backend: 'fake-a', options: { knob: true } },
      { backend: 'fake-b', options: undefined },
    ]);
    expect(buildReport(config, runs).config.backendOptions).toEqual({ 'fake-a': { knob: true } });
  });

  it('uses a catalog-provided check and reports it at the option', () => {
    expect(() =>
      validateConfig(
        {
          seed: 3,
          machine: { cpus: 1 },
          backends: ['fake-a'],
          workloads: { probe: {} },
          backendOptions: { 'fake-b': { bad: 1 } },
        },
        registry,
        't',
      ),
    ).toThrow('backendOptions.fake-b.bad: unknown option "bad"; known options: knob');
  });
});
