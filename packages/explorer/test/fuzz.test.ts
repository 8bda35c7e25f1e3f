import { parseScenario, runScenario } from '@khva/host/scenario';
import { GfnToPfnCache } from '@khva/pfncache';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzz, fuzzFrequency, fuzzProperty, runFuzzCase } from '../src/index.ts';
import { mutants, UnmapFirstGpc } from './support/mutants.ts';
import { designBackends, registry } from './support/world.ts';

const SEED = 20260;

describe('property fuzzing of the real gpc (seeded, bounded)', () => {
  for (const backend of designBackends) {
    it(`${backend}: random op sequences under random schedules break no check`, () => {
      fc.assert(fuzzProperty({ registry, backend }), { seed: SEED, numRuns: 150 });
    });
  }

  it('an empty schedule runs the ops in the order listed', () => {
    const r = runFuzzCase(
      {
        ops: [
          { thread: 'vmm', op: 'activate', cache: 'pv', gpa: 0x100000, len: 8 },
          { thread: 'vcpu0', op: 'use', cache: 'pv', len: 8 },
          { thread: 'vmm', op: 'migrate-page', vm: 'vm0', hva: 0x7f0000000000, pages: 1 },
          { thread: 'vcpu0', op: 'use', cache: 'pv', len: 8 },
        ],
        schedule: [],
      },
      { registry, backend: 'vmap' },
    );
    expect(r.violations).toEqual([]);
    const finished = r.events
      .filter((e) => e.yieldKind === null)
      .map((e) => `${e.thread} ${e.op} ${e.result}`);
    expect(finished).toEqual(['vmm activate pv 0', 'vcpu0 use pv 0', 'vmm migrate-page 0', 'vcpu0 use pv 0']);
  });
});

describe('mutation proof: fast-check finds each broken gpc and shrinks the case', () => {
  for (const m of mutants) {
    for (const backend of ['vmap', 'ephmap']) {
      const observable = !(m.gpcClass === UnmapFirstGpc && backend === 'ephmap');
      it(`${m.name} on ${backend}${observable ? '' : ' (no mapping: unobservable)'}`, () => {
        const [report] = fuzz({
          registry,
          backends: [backend],
          gpcClass: m.gpcClass,
          seed: SEED,
          numRuns: 400,
        });
        expect(report!.failed).toBe(observable);
        if (!observable) return;
        const f = report!.failure!;
        expect(f.case.ops.length).toBeLessThanOrEqual(4);
        expect(f.counterexample.events.length).toBeLessThanOrEqual(12);
        // The shrunk case is a scenario file: it replays, and fails at its last step.
        const replay = runScenario(parseScenario(f.counterexample.yaml), { registry, gpcClass: m.gpcClass });
        expect(replay.ok).toBe(false);
        expect(replay.failure?.step).toBe(f.counterexample.scenarioSteps);
        const fixed = runScenario(parseScenario(f.counterexample.yaml), {
          registry,
          gpcClass: GfnToPfnCache,
        });
        expect(fixed.trace.every((t) => t.violations.length === 0)).toBe(true);
      });
    }
  }
});

describe('finding frequencies', () => {
  it('fuzzFrequency counts the cases whose first broken check is each one: the unmasked gpc_map often, none masked', () => {
    const run = (gpcMapMasksAnon: boolean) =>
      fuzzFrequency({ registry, backends: ['vmap'], seed: 1, numRuns: 100, kernel: { gpcMapMasksAnon } })[0]!;
    const off = run(false);
    expect(off.numRuns).toBe(100);
    // FINDINGS.md: fuzzing meets the raw folio->mapping read in the fifth case.
    expect(off.firstCase['gpc-map-masks-anon']).toBe(4);
    expect(off.byViolation['gpc-map-masks-anon']).toBeGreaterThan(10);
    expect(run(true).byViolation).toEqual({});
  });
});
