import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario, runScenario } from '@khva/host/scenario';
import { GfnToPfnCache } from '@khva/pfncache';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exploreFile } from '../src/file.ts';
import { buildCounterexample, explore, fuzzOp, fuzzScenario, soloSteps, threadOps } from '../src/index.ts';
import { mutants, UnmapFirstGpc } from './support/mutants.ts';
import { binomial, explorerScenario, finalState, load, pfncacheScenario, registry } from './support/world.ts';

const raceFiles = ['refresh-vs-invalidation', 'refresh-vs-punch-hole'];

describe('exhaustive exploration of the real gpc', () => {
  for (const file of raceFiles) {
    for (const backend of ['vmap', 'ephmap']) {
      it(`${file} on ${backend}: every schedule, no violation, fewer with the reduction`, () => {
        const s = load(explorerScenario(file));
        const full = explore(s, { registry, backend, reduction: false });
        const reduced = explore(s, { registry, backend, reduction: true });
        for (const r of [full, reduced]) {
          expect(r.counterexample?.trace).toBeUndefined();
          expect(r.exhaustive).toBe(true);
        }
        // Without the reduction every schedule runs to its end: each is a distinct interleaving.
        expect(full.complete).toBe(full.explored);
        expect(full.pruned).toBe(0);
        expect(reduced.explored).toBeLessThan(full.explored);
        expect(reduced.pruned).toBeGreaterThan(0);
      });
    }
  }

  it('counts C(m+n, n) interleavings of two threads that do not touch each other, and far fewer reduced', () => {
    const s = load(explorerScenario('two-vms'));
    // m and n: each thread's steps when it runs alone (its yield points, plus one per op to finish).
    const solo = soloSteps(s, { registry });
    const [m, n] = [solo.vcpu0!, solo.vmm1!];
    expect([m, n]).toEqual([5, 4]);
    const full = explore(s, { registry, reduction: false });
    expect(full.explored).toBe(binomial(m + n, n));
    expect(full.complete).toBe(binomial(m + n, n));
    const reduced = explore(s, { registry, reduction: true });
    expect(reduced.exhaustive).toBe(true);
    expect(reduced.counterexample).toBeUndefined();
    // All interleavings are equivalent: one complete schedule, the other runs end at once.
    expect(reduced.complete).toBe(1);
    expect(reduced.explored).toBeLessThanOrEqual(m + 1);
  });

  it('the race itself does not have C(m+n, n) schedules: each retry adds yield points', () => {
    const s = load(explorerScenario('refresh-vs-invalidation'));
    const solo = soloSteps(s, { registry });
    const full = explore(s, { registry, reduction: false });
    expect(full.explored).not.toBe(binomial(solo.vcpu0! + solo.vmm!, solo.vmm!));
    expect(full.longest).toBeGreaterThan(solo.vcpu0! + solo.vmm!);
  });

  // Sleep sets visit every reachable state: a reduced search must see exactly the final states
  // the full one sees. A dependency the footprints missed would lose some.
  for (const [name, path, backend] of [
    ['refresh-vs-punch-hole', explorerScenario('refresh-vs-punch-hole'), 'vmap'],
    ['refresh-vs-invalidation', explorerScenario('refresh-vs-invalidation'), 'ephmap'],
    ['R7', pfncacheScenario('r07-concurrent-refreshes'), 'vmap'],
    ['R8', pfncacheScenario('r08-deactivate-vs-reader'), 'mm-local'],
    ['R10', pfncacheScenario('r10-activate-vs-invalidation'), 'vmap'],
    ['R19', pfncacheScenario('r19-reactivate-while-reading'), 'vmap'],
  ] as const) {
    it(`the reduction keeps every final state (${name}, ${backend})`, () => {
      const s = load(path);
      const states = (reduction: boolean) => {
        const seen = new Set<string>();
        const r = explore(s, {
          registry,
          backend,
          reduction,
          onLeaf: (l) => l.end === 'complete' && seen.add(finalState(l.run)),
        });
        expect(r.exhaustive).toBe(true);
        return seen;
      };
      const full = states(false);
      expect(states(true)).toEqual(full);
      expect(full.size).toBeGreaterThan(1);
    });
  }
});

describe('the reduction on random scenarios', () => {
  it('finds the same final states as the full search (fuzz world, 2-4 ops on any threads)', () => {
    // Known findings are not reported here, so that both searches run to the end.
    const ignore = ['valid-pfn-is-current', 'valid-khva-translates'];
    fc.assert(
      fc.property(
        fc.array(fuzzOp, { minLength: 2, maxLength: 4 }),
        fc.constantFrom('vmap', 'ephmap', 'mm-local', 'direct-map'),
        (ops, backend) => {
          const s = fuzzScenario(backend, ops, backend !== 'direct-map');
          const [full, reduced] = [false, true].map((reduction) => {
            const seen = new Set<string>();
            const r = explore(s, {
              registry,
              reduction,
              ignore,
              maxSchedules: 3000,
              onLeaf: (l) => l.end === 'complete' && seen.add(finalState(l.run)),
            });
            return { seen, r };
          });
          fc.pre(full!.r.exhaustive && !full!.r.counterexample);
          expect(reduced!.r.counterexample).toBeUndefined();
          expect(reduced!.seen).toEqual(full!.seen);
        },
      ),
      { seed: 7, numRuns: 60 },
    );
  });
});

describe('mutation proof: broken gpcs are caught, within the default budget', () => {
  for (const m of mutants) {
    for (const file of raceFiles) {
      for (const backend of ['vmap', 'ephmap']) {
        // Unmapping the old mapping early cannot matter where there is no mapping (per-access).
        const observable = !(m.gpcClass === UnmapFirstGpc && backend === 'ephmap');
        it(`${m.name}: ${file} on ${backend} ${observable ? 'gives a short counterexample' : 'is unobservable'}`, () => {
          const s = load(explorerScenario(file));
          const r = explore(s, { registry, backend, gpcClass: m.gpcClass });
          if (!observable) {
            expect(r.counterexample).toBeUndefined();
            expect(r.exhaustive).toBe(true);
            return;
          }
          const cx = r.counterexample!;
          expect(cx).toBeDefined();
          expect(r.explored).toBeLessThan(20_000);
          expect(cx.events.length).toBeLessThanOrEqual(8);
          expect(cx.replayable).toBe(true);
          // The file replays: every step as the explorer saw it, the last one fails its expectation.
          const replay = runScenario(parseScenario(cx.yaml), { registry, gpcClass: m.gpcClass });
          expect(replay.ok).toBe(false);
          expect(replay.failure?.step).toBe(cx.scenarioSteps);
          expect(replay.failure?.key).not.toBe('error');
          const last = replay.trace[replay.trace.length - 1]!;
          const broken = cx.violations.filter((v) => v.kind === 'invariant').map((v) => v.name);
          for (const name of broken) expect(last.violations).toContain(name);
          // The same schedule on the real gpc breaks nothing.
          const fixed = runScenario(parseScenario(cx.yaml), { registry, gpcClass: GfnToPfnCache });
          expect(fixed.trace.every((t) => t.violations.length === 0)).toBe(true);
        });
      }
    }
  }
});

describe('counterexamples', () => {
  it('are the shortest: a search that stops at the first violation finds one at least as long', () => {
    const s = load(explorerScenario('refresh-vs-punch-hole'));
    const first = explore(s, { registry, gpcClass: UnmapFirstGpc, minimize: false });
    const best = explore(s, { registry, gpcClass: UnmapFirstGpc });
    expect(best.counterexample!.events.length).toBeLessThanOrEqual(first.counterexample!.events.length);
    expect(best.counterexample!.trace).toMatch(/mapping-owned-once/);
  });

  it('every explored schedule replays through the scenario runner, step for step', () => {
    // Runs of one thread that pass the same label more than once (a retry passes lock-drop
    // twice) are split, since the runner pauses at the first occurrence.
    const s = load(explorerScenario('refresh-vs-punch-hole'));
    const ops = threadOps(s);
    let replayed = 0;
    let split = 0;
    explore(s, {
      registry,
      reduction: false,
      onLeaf: ({ run, end }) => {
        if (end !== 'complete') return;
        const cx = buildCounterexample(s, ops, run.events, [], 'vmap', 'test');
        const r = runScenario(parseScenario(cx.yaml), { registry });
        expect(r.ok, r.failure?.message).toBe(true);
        const results = (xs: ReadonlyArray<unknown>) => xs.filter((x) => x !== 'paused');
        expect(results(r.trace.map((t) => t.result))).toEqual(
          run.events.filter((e) => e.yieldKind === null).map((e) => e.result),
        );
        const last = run.caches().find((c) => c.name === 'pv')!;
        const pv = r.trace.filter((t) => t.cache === 'pv').pop()!;
        expect([pv.valid, pv.pfn, pv.khva]).toEqual([last.valid, last.pfn, last.khva]);
        const steps = cx.scenario.steps;
        const twice = (i: number) =>
          i > 0 && steps[i]!.thread === steps[i - 1]!.thread && steps[i]!.pauseAt === steps[i - 1]!.pauseAt;
        if (steps.some((st, i) => st.pauseAt !== undefined && twice(i))) split++;
        replayed++;
      },
    });
    expect(replayed).toBeGreaterThan(200);
    expect(split).toBeGreaterThan(0);
  });

  it('exploreFile writes the counterexample and its trace next to the scenario, or to outDir', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'khva-explore-'));
    const r = exploreFile(explorerScenario('refresh-vs-invalidation'), {
      registry,
      outDir,
      maxSchedules: 500,
    });
    expect(r.counterexample).toBeUndefined();
    expect(r.exhaustive).toBe(true);
    const bad = exploreFile(pfncacheScenario('r06-hva-cache-outside-memslots'), { registry, outDir });
    const cx = bad.counterexample!;
    expect(cx.path).toBe(join(outDir, 'r06-hva-cache-outside-memslots.vmap.counterexample.yaml'));
    expect(cx.violations).toEqual(['valid-pfn-is-current']);
    const text = readFileSync(cx.path, 'utf8');
    expect(parseScenario(text).steps.length).toBe(cx.scenarioSteps);
    expect(readFileSync(cx.tracePath, 'utf8')).toContain('!! valid-pfn-is-current');
  });
});

describe('the shipped pfncache scenarios, explored with vmap', () => {
  // Two files document broken behaviour on purpose: RFC v1 never invalidates on punch-hole, and
  // R6 is the hva-outside-memslots gap. Everything else must hold in every schedule explored.
  const findings: Record<string, string> = {
    'gmem-punch-hole-rfc-v1': 'not-valid-during-invalidation',
    'r06-hva-cache-outside-memslots': 'valid-pfn-is-current',
  };
  const files = [
    'activate-hva-no-direct-map',
    'design-example',
    'gmem-punch-hole-rfc-v1',
    'gmem-punch-hole-rfc-v3',
    'r01-reader-vs-invalidation',
    'r02-invalidation-in-window',
    'r03-invalidation-in-flight',
    'r04-unrelated-invalidation',
    'r06-hva-cache-outside-memslots',
    'r07-concurrent-refreshes',
    'r08-deactivate-vs-reader',
    'r10-activate-vs-invalidation',
    'r11-memslot-delete',
    'r12-memslot-move',
    'r16-atomic-delivery-during-refresh',
    'r18-length-straddle',
    'r19-reactivate-while-reading',
    'r20-refresh-never-activated',
  ];
  for (const f of files) {
    it(f, () => {
      const r = explore(load(pfncacheScenario(f)), { registry, backend: 'vmap', maxSchedules: 2500 });
      const found = r.counterexample?.violations.map((v) => v.name) ?? [];
      expect(found).toEqual(findings[f] ? [findings[f]] : []);
      if (f !== 'design-example') expect(r.exhaustive).toBe(true);
    });
  }
});

describe('findings', () => {
  it('same-pfn reuse: a pfn freed and handed back as a no-direct-map folio keeps its dead direct-map khva', () => {
    for (const backend of ['vmap', 'memremap-relaxed', 'mm-local']) {
      const r = runScenario(load(explorerScenario('same-pfn-reuse')), { registry, backend });
      expect(r.ok, r.failure?.message).toBe(true);
    }
    const found = explore(load(explorerScenario('same-pfn-reuse')), { registry });
    expect(found.counterexample?.violations.map((v) => v.name)).toEqual(['valid-khva-translates']);
  });
});
