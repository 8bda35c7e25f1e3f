// The four findings of FINDINGS.md: each shows with its kernel switch off (the series as posted)
// and is gone, every schedule explored, with it on; the fuzzing agrees on each.
import type { Scenario } from '@khva/host/scenario';
import { runScenario } from '@khva/host/scenario';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { explore, fuzz, fuzzCase, fuzzFrequency, runFuzzCase } from '../src/index.ts';
import { explorerScenario, load, pfncacheScenario, registry } from './support/world.ts';

type Switch = 'samePfnRemap' | 'hvaRangeTracking' | 'gpcMapMasksAnon' | 'releaseHook';

interface Finding {
  readonly title: string;
  readonly file: string;
  readonly fix: Switch;
  readonly violation: string;
}

const findings: readonly Finding[] = [
  {
    title: '1 same-pfn reuse (Xen shared_info by hva, then by gfn)',
    file: explorerScenario('same-pfn-reuse'),
    fix: 'samePfnRemap',
    violation: 'valid-khva-translates',
  },
  {
    title: '1 same-pfn reuse (kvm-clock moved to a gmem page)',
    file: explorerScenario('same-pfn-reuse-kvmclock'),
    fix: 'samePfnRemap',
    violation: 'valid-khva-translates',
  },
  {
    title: '2 R6: hva cache outside every memslot',
    file: pfncacheScenario('r06-hva-cache-outside-memslots'),
    fix: 'hvaRangeTracking',
    violation: 'valid-pfn-is-current',
  },
  {
    title: "3 gpc_map reads an anon folio's mapping raw",
    file: explorerScenario('gpc-map-anon-folio'),
    fix: 'gpcMapMasksAnon',
    violation: 'gpc-map-masks-anon',
  },
  {
    title: '4 ephmap never hears of a dropped pfn',
    file: explorerScenario('ephmap-release'),
    fix: 'releaseHook',
    violation: 'stale-translation-after-free',
  },
];

const withSwitch = (s: Scenario, key: Switch, on: boolean): Scenario => ({
  ...s,
  kernel: { ...s.kernel, [key]: on },
});

describe('each finding: the explorer finds it with the fix off and exhausts the schedules with it on', () => {
  for (const f of findings) {
    it(f.title, () => {
      const s = load(f.file);
      // The file itself replays the finding, step by step.
      const replay = runScenario(withSwitch(s, f.fix, false), { registry });
      expect(replay.ok, replay.failure?.message).toBe(true);
      const off = explore(withSwitch(s, f.fix, false), { registry, maxSchedules: 500 });
      expect(off.counterexample?.violations.map((v) => v.name)).toEqual([f.violation]);
      const on = explore(withSwitch(s, f.fix, true), { registry, maxSchedules: 500 });
      expect(on.counterexample).toBeUndefined();
      expect(on.exhaustive).toBe(true);
    });
  }
});

describe('the fuzzing agrees (seeded)', () => {
  const cases: ReadonlyArray<{
    readonly fix: Switch;
    readonly backend: string;
    readonly seed: number;
    readonly numRuns: number;
    readonly violation: string;
    readonly others?: Partial<Record<Switch, boolean>>;
    readonly outsideMemslots?: boolean;
  }> = [
    {
      fix: 'hvaRangeTracking',
      backend: 'vmap',
      seed: 3,
      numRuns: 600,
      violation: 'valid-pfn-is-current',
      others: { samePfnRemap: true },
      outsideMemslots: true,
    },
    { fix: 'gpcMapMasksAnon', backend: 'vmap', seed: 1, numRuns: 200, violation: 'gpc-map-masks-anon' },
    {
      fix: 'releaseHook',
      backend: 'ephmap',
      seed: 3,
      numRuns: 300,
      violation: 'stale-translation-after-free',
    },
  ];
  for (const c of cases) {
    it(`${c.fix} on ${c.backend}: found with it off, not in the same runs with it on`, () => {
      const run = (on: boolean) =>
        fuzz({
          registry,
          backends: [c.backend],
          seed: c.seed,
          numRuns: c.numRuns,
          kernel: { ...c.others, [c.fix]: on },
          ...(c.outsideMemslots ? { outsideMemslots: true } : {}),
        })[0]!;
      const off = run(false);
      expect(off.failed).toBe(true);
      expect(off.failure?.counterexample.violations.map((v) => v.name)).toContain(c.violation);
      const on = run(true);
      expect(on.failed, on.failure?.counterexample.trace).toBe(false);
      expect(on.numRuns).toBe(c.numRuns);
    });
  }
});

describe("finding 1's frequency under the kernel-like allocator (FINDINGS.md)", () => {
  // Seed 1's case 238 broke valid-khva-translates while freed pages went on one LIFO list per
  // CPU whatever their migratetype: page migration freed the cached anonymous page, the next
  // guest_memfd folio on that CPU was the same frame. Now the page waits on the movable list.
  const case238 = fc.sample(fuzzCase(), { seed: 1, numRuns: 238 })[237]!;
  it('the case the single free list broke on passes: the guest_memfd folio is another frame', () => {
    const r = runFuzzCase(case238, { registry, backend: 'vmap' });
    expect(case238.ops.map((o) => o.op)).toEqual(expect.arrayContaining(['migrate-page', 'activate']));
    expect(r.violations).toEqual([]);
  });

  it('no case of 1,000 meets it, with all memory free or with one free pageblock', () => {
    for (const freePageblocks of [undefined, 1]) {
      const [f] = fuzzFrequency({
        registry,
        backends: ['vmap'],
        seed: 1,
        numRuns: 1000,
        ...(freePageblocks ? { freePageblocks } : {}),
      });
      expect(f!.byViolation).toEqual({});
    }
  });
});
