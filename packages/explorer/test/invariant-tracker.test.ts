// The incremental invariant check (InvariantTracker, which the scenario runner uses after every step)
// against the full check over every cache, and the runner's counter deltas against sums over every cache: over random scenarios with many caches, paused ops, every
// backend and broken gpcs, both name the same invariants after every step; and a cache no step names is
// still caught when the model changes it indirectly (an invalidation walk, a page-table change).

import { runScenario, type ScenarioStep, type ScenarioWorld, type TraceEntry } from '@khva/host/scenario';
import { regionOf, vpnOf } from '@khva/memory-core';
import { checkInvariants, type GfnToPfnCache, InvariantTracker } from '@khva/pfncache';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FUZZ_ANON_HVA, FUZZ_ANON2_HVA, fuzzOp, fuzzScenario } from '../src/fuzz.ts';
import { mutants, NoInvalidateGpc } from './support/mutants.ts';
import { designBackends, registry } from './support/world.ts';

const fullNames = (w: ScenarioWorld): string[] => [
  ...new Set(checkInvariants(w.caches.values()).map((v) => v.invariant)),
];

/** Five caches, so that most caches are untouched by any one step. */
const cacheName = fc.constantFrom('pv', 'sh', 'c2', 'c3', 'c4');

/** fuzzOp's ops on more caches, plus writes, ops paused inside (locks held, unlocked window) and resumes. */
const op: fc.Arbitrary<ScenarioStep> = fc.oneof(
  { arbitrary: fuzzOp, weight: 6 },
  {
    arbitrary: fc.record({
      thread: fc.constantFrom('vcpu0', 'vcpu1'),
      op: fc.constant('activate' as const),
      cache: cacheName,
      gpa: fc.constantFrom(0x1000, 0x100000, 0x101000, 0x300000),
      len: fc.constant(8),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      thread: fc.constantFrom('vcpu0', 'vcpu1', 'vmm'),
      op: fc.constant('refresh' as const),
      cache: cacheName,
      len: fc.constant(8),
      pauseAt: fc.constantFrom('mapped', 'lock-drop'),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      thread: fc.constantFrom('vcpu0', 'vcpu1'),
      op: fc.constant('write' as const),
      cache: cacheName,
      offset: fc.constant(0),
      bytes: fc.constant(8),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      thread: fc.constant('vmm'),
      op: fc.constant('munmap' as const),
      vm: fc.constant('vm0'),
      hva: fc.constantFrom(FUZZ_ANON_HVA, FUZZ_ANON2_HVA),
      pages: fc.constant(1),
      pauseAt: fc.constant('mmu-notifier-started'),
    }),
    weight: 1,
  },
);

/** Every cache active first; a thread still inside a paused op is resumed before its next op. */
function playable(ops: readonly ScenarioStep[]): ScenarioStep[] {
  const gpas = { pv: 0x100000, sh: 0x101000, c2: 0x1000, c3: 0x300000, c4: 0x2000 };
  const out: ScenarioStep[] = Object.entries(gpas).map(([cache, gpa], i) => ({
    thread: i % 2 === 0 ? 'vcpu0' : 'vcpu1',
    op: 'activate',
    cache,
    gpa,
    len: 8,
  }));
  const paused = new Set<string>();
  for (const step of ops) {
    if (paused.has(step.thread)) {
      out.push({ thread: step.thread, op: 'resume' });
      paused.delete(step.thread);
    }
    out.push(step);
    if (step.pauseAt !== undefined) paused.add(step.thread);
  }
  return out;
}

interface Compared {
  readonly steps: number;
  readonly violations: number;
}

/** Runs the scenario; after every step the runner's and a fresh tracker's names equal the full check's. */
function compare(backend: string, ops: readonly ScenarioStep[], gpcClass?: typeof GfnToPfnCache): Compared {
  let tracker: InvariantTracker | undefined;
  let totals = { mapCalls: 0, unmapCalls: 0, wouldBlock: 0 };
  let steps = 0;
  let violations = 0;
  runScenario(fuzzScenario(backend, ops, backend !== 'direct-map'), {
    registry,
    ...(gpcClass === undefined ? {} : { gpcClass }),
    onStep: (w: ScenarioWorld, entry: TraceEntry) => {
      // Made after step 1: what step 1 did reaches only caches step 1 made, which it names.
      tracker ??= new InvariantTracker(w.kvm.machine);
      const step = ops[entry.step - 1];
      const touched =
        entry.cache === undefined ? [] : [w.caches.get(entry.cache)].filter((g) => g !== undefined);
      const full = fullNames(w);
      expect(tracker.check(touched), `step ${entry.step} (${step?.op})`).toEqual(full);
      expect(entry.violations, `runner, step ${entry.step} (${step?.op})`).toEqual(full);
      // The counters the runner sums over the caches the step could have changed: all that moved.
      const now = w.totals();
      expect(entry.deltas, `deltas, step ${entry.step}`).toMatchObject({
        mapCalls: now.mapCalls - totals.mapCalls,
        unmapCalls: now.unmapCalls - totals.unmapCalls,
        wouldBlock: now.wouldBlock - totals.wouldBlock,
      });
      totals = now;
      steps++;
      violations += full.length;
    },
  });
  return { steps, violations };
}

describe('InvariantTracker: the incremental check finds what the full check finds', () => {
  it('after every step of random scenarios on every backend, with and without broken gpcs', () => {
    let steps = 0;
    let violations = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...designBackends),
        fc.constantFrom(undefined, ...mutants.map((m) => m.gpcClass)),
        fc.array(op, { minLength: 4, maxLength: 24 }),
        (backend, gpcClass, ops) => {
          const r = compare(backend, playable(ops), gpcClass);
          steps += r.steps;
          violations += r.violations;
        },
      ),
      { numRuns: 150, seed: 14 },
    );
    // The property looked at real work: many steps, and steps where something was broken.
    expect(steps).toBeGreaterThan(600);
    expect(violations).toBeGreaterThan(20);
  });

  it('catches a violation on a cache no step names: an invalidation walk that leaves it valid', () => {
    const ops: ScenarioStep[] = [
      { thread: 'vcpu0', op: 'activate', cache: 'pv', gpa: 0x100000, len: 8 },
      { thread: 'vcpu1', op: 'activate', cache: 'sh', gpa: 0x300000, len: 8 },
      // pv's page goes; the broken gpc stays valid on the old pfn. The step names no cache.
      { thread: 'vmm', op: 'munmap', vm: 'vm0', hva: FUZZ_ANON_HVA, pages: 1 },
    ];
    const seen: TraceEntry[] = [];
    runScenario(fuzzScenario('vmap', ops), {
      registry,
      gpcClass: NoInvalidateGpc,
      onStep: (_w, entry) => {
        seen.push(entry);
      },
    });
    expect(seen.map((e) => e.cache ?? null)).toEqual(['pv', 'sh', null]);
    expect(seen[1]?.violations).toEqual([]);
    expect(seen[2]?.violations).toContain('valid-pfn-is-current');
  });

  it('catches a page-table change no op made: a kernel PTE cleared under a valid cache', () => {
    const ops: ScenarioStep[] = [
      // A guest_memfd page out of the direct map: vmap maps it in vmalloc space.
      { thread: 'vcpu0', op: 'activate', cache: 'pv', gpa: 0x1000, len: 8 },
      { thread: 'vcpu1', op: 'activate', cache: 'sh', gpa: 0x300000, len: 8 },
    ];
    let world: ScenarioWorld | undefined;
    let tracker: InvariantTracker | undefined;
    runScenario(fuzzScenario('vmap', ops), {
      registry,
      onStep: (w, entry) => {
        world = w;
        tracker ??= new InvariantTracker(w.kvm.machine);
        tracker.check(entry.cache === undefined ? [] : [w.caches.get(entry.cache)!]);
      },
    });
    const pv = world!.caches.get('pv')!;
    expect(regionOf(pv.khva)).toBe('vmalloc');
    expect(tracker!.check([])).toEqual([]);
    // By hand, as a buggy unmap elsewhere would: pv's khva no longer translates. No cache is named.
    world!.kvm.machine.kernelPt.clear(vpnOf(pv.khva));
    for (const cpu of world!.kvm.machine.cpus) cpu.tlb.removeWhere((e) => e.vpn === vpnOf(pv.khva));
    expect(tracker!.check([])).toEqual(['valid-khva-translates']);
    expect(tracker!.violations().map((v) => v.cache)).toEqual(['pv']);
    expect(fullNames(world!)).toEqual(['valid-khva-translates']);
  });
});
