import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineWorkload } from '../src/workload.ts';
import { createWorkloadRegistry } from '../src/workload-registry.ts';
import { fakeBackend, fakeChurn, fakeClock } from './fixtures/fake-model.ts';

const noop = defineWorkload({
  name: 'noop',
  summary: 'nothing',
  params: z.object({ n: z.int().default(1) }),
  run: () => {
    throw new Error('not run here');
  },
});

describe('workload registry', () => {
  it('keeps registration order and finds workloads by name', () => {
    const registry = createWorkloadRegistry([fakeClock, fakeChurn]);
    expect(registry.names()).toEqual(['fake-clock', 'fake-churn']);
    expect(registry.get('fake-churn')?.summary).toContain('test double');
    expect(registry.get('nope')).toBeUndefined();
  });

  it('accepts strict and loose params schemas (and makes both strict)', () => {
    const strict = defineWorkload({
      ...noop,
      name: 'strict',
      params: z.strictObject({ n: z.int().default(1) }),
    });
    const loose = defineWorkload({
      ...noop,
      name: 'loose',
      params: z.looseObject({ n: z.int().default(1) }),
    });
    const registry = createWorkloadRegistry([strict, loose]);
    for (const w of registry.list()) expect(w.params.safeParse({ n: 2, other: 1 }).success).toBe(false);
  });

  it('refuses duplicates, non-kebab names, and params without defaults', () => {
    expect(() => createWorkloadRegistry([noop, noop])).toThrow('registered twice');
    expect(() => createWorkloadRegistry([{ ...noop, name: 'Kvm_Clock' }])).toThrow('kebab-case');
    const needsValue = defineWorkload({
      name: 'needs-value',
      summary: 'a param without a default',
      params: z.object({ vms: z.int() }),
      run: () => {
        throw new Error('not run here');
      },
    });
    expect(() => createWorkloadRegistry([needsValue])).toThrow(
      'every param needs a default ({} must parse); missing: vms',
    );
  });

  it('validates params on entry, strictly, with defaults applied', () => {
    const seen: unknown[] = [];
    const spy = defineWorkload({
      ...noop,
      run(params) {
        seen.push(params);
        return fakeClock.run({ vcpus: 1, updates: 1 }, context());
      },
    });
    const [workload] = createWorkloadRegistry([spy]).list();
    workload?.run({}, context());
    expect(seen).toEqual([{ n: 1 }]);
    expect(workload?.params.safeParse({ n: 1, extra: 2 }).success).toBe(false);
  });
});

function context() {
  return {
    seed: 1,
    machine: { cpus: 1, tlbEntries: 64, ghz: 3, memGiB: 1 },
    kernel: { gmemInvalidation: true, flushOnZap: true, reachGuard: true },
    calibration: {},
    backend: fakeBackend('fake-direct', 'test double'),
    onProgress() {},
  };
}
