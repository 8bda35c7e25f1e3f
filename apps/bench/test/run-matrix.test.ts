import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkResult } from '../src/run/check-result.ts';
import { RunError } from '../src/run/run-error.ts';
import { type MatrixProgress, runMatrix } from '../src/run/run-matrix.ts';
import { defineWorkload, type WorkloadResult } from '../src/workload.ts';
import { brokenWorkload, createFakeRegistry, fakeBackend, fakeClock } from './fixtures/fake-model.ts';
import { fakeConfig } from './fixtures/fake-report.ts';

function recorder() {
  const events: string[] = [];
  const positions: number[] = [];
  const progress: MatrixProgress = {
    start: (n) => events.push(`start ${n}`),
    update: (p) => positions.push(p),
    runDone: (label, i) => events.push(`done ${i} ${label}`),
    stop: () => events.push('stop'),
  };
  return { events, positions, progress };
}

describe('runMatrix', () => {
  it('runs workloads in config order, backends in config order, with the same seed and context', async () => {
    const { events, positions, progress } = recorder();
    const runs = await runMatrix(
      fakeConfig({ backends: ['fake-local', 'fake-direct'] }),
      createFakeRegistry(),
      progress,
    );
    expect(runs.map((r) => `${r.workload}/${r.backend}`)).toEqual([
      'fake-churn/fake-local',
      'fake-churn/fake-direct',
      'fake-clock/fake-local',
      'fake-clock/fake-direct',
    ]);
    expect(events).toEqual([
      'start 4',
      'done 0 fake-churn on fake-local',
      'done 1 fake-churn on fake-direct',
      'done 2 fake-clock on fake-local',
      'done 3 fake-clock on fake-direct',
      'stop',
    ]);
    expect(positions.every((p, i) => i === 0 || p >= (positions[i - 1] ?? 0))).toBe(true);
    expect(positions.at(-1)).toBe(4);
  });

  it('passes a workload reporting progress after every one of 10^6 events to the bar about 1,000 times', async () => {
    const { positions, progress } = recorder();
    let calls = 0;
    const chatty = defineWorkload({
      name: 'fake-chatty',
      summary: 'test double: reports progress after every event',
      params: z.object({}),
      run(_params, ctx) {
        const events = 1_000_000;
        for (let e = 0; e < events; e++) {
          calls++;
          ctx.onProgress(e / events);
        }
        return fakeClock.run({ vcpus: 1, updates: 10 }, ctx);
      },
    });
    const config = { ...fakeConfig(), backends: ['fake-direct'], workloads: { 'fake-chatty': {} } };
    await runMatrix(config, createFakeRegistry([chatty]), progress);
    expect(calls).toBe(1_000_000);
    // One update at the run's start and one per 0.1% at most: the bar's cost does not follow the events.
    expect(positions.length).toBeGreaterThan(900);
    expect(positions.length).toBeLessThanOrEqual(1002);
    expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] ?? 0))).toBe(true);
  });

  it('turns a throwing workload into a RunError naming the workload and backend, and stops progress', async () => {
    const { events, progress } = recorder();
    const registry = createFakeRegistry([brokenWorkload('throw')]);
    const config = { ...fakeConfig(), workloads: { 'fake-broken': {} } };
    const error = await runMatrix(config, registry, progress).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunError);
    expect((error as RunError).message).toBe(
      'workload "fake-broken" on backend "fake-direct": threw: simulated model bug',
    );
    expect(events.at(-1)).toBe('stop');
  });
});

describe('checkResult', () => {
  const ctx = {
    seed: 1,
    machine: { cpus: 1, tlbEntries: 1, ghz: 1, memGiB: 1 },
    kernel: { gmemInvalidation: true, flushOnZap: true, reachGuard: true },
    calibration: {},
    backend: fakeBackend('fake-direct', 'test double'),
    onProgress() {},
  };
  const good: WorkloadResult = fakeClock.run({ vcpus: 1, updates: 10 }, ctx);

  it('accepts what the fake model reports', () => {
    expect(checkResult(good)).toEqual([]);
  });

  it('rejects numbers no model can produce', () => {
    expect(checkResult({ ...good, ops: -1 })).toEqual(['ops is negative (-1)']);
    expect(
      checkResult({ ...good, cost: { ...good.cost, ipis: 1.5, cycles: Number.POSITIVE_INFINITY } }),
    ).toEqual(['cost.cycles is Infinity, not a number', 'cost.ipis counts events but is 1.5']);
    expect(
      checkResult({ ...good, safety: { ...good.safety, exposurePageNs: 1, foreignExposurePageNs: 2 } }),
    ).toEqual(['safety.foreignExposurePageNs exceeds safety.exposurePageNs, of which it is a part']);
  });
});
