// Stopping a search: shouldStop is polled before every schedule, so an interrupt or a budget ends it between
// two schedules with how far it got; exploreAsync yields to the event loop, so a timer or a signal handler
// that sets the flag runs during the search; a stopped search writes no file.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exploreFileAsync } from '../src/file.ts';
import { type ExploreProgress, explore, exploreAsync } from '../src/index.ts';
import { explorerScenario, load, pfncacheScenario, registry } from './support/world.ts';

const race = () => load(explorerScenario('refresh-vs-invalidation'));

describe('stopping an exploration', () => {
  it('shouldStop ends the search before the next schedule and the result says how far it got', () => {
    let polls = 0;
    const r = explore(race(), { registry, reduction: false, shouldStop: () => ++polls > 3 });
    expect(r).toMatchObject({ explored: 3, stopped: true, exhaustive: false, violating: 0 });
    const whole = explore(race(), { registry, reduction: false });
    expect(whole.stopped).toBe(false);
    expect(whole.explored).toBeGreaterThan(3);
  });

  it('exploreAsync explores exactly what explore does', async () => {
    const s = load(pfncacheScenario('r06-hva-cache-outside-memslots'));
    const sync = explore(s, { registry });
    const slices: ExploreProgress[] = [];
    const async = await exploreAsync(s, { registry, sliceMs: 0, onSlice: (p) => slices.push(p) });
    const { wallMs: _a, ...a } = sync;
    const { wallMs: _b, ...b } = async;
    expect(b).toEqual(a);
    expect(a.violating).toBeGreaterThan(0);
    // With sliceMs 0 it yields after every schedule but the last.
    expect(slices.map((p) => p.explored)).toEqual(Array.from({ length: a.explored - 1 }, (_, i) => i + 1));
  });

  it('a timer set before the search stops it: exploreAsync gives the event loop a turn', async () => {
    let stop = false;
    setTimeout(() => {
      stop = true;
    }, 0);
    const r = await exploreAsync(race(), {
      registry,
      reduction: false,
      sliceMs: 0,
      shouldStop: () => stop,
    });
    expect(r.stopped).toBe(true);
    expect(r.explored).toBeGreaterThan(0);
    expect(r.explored).toBeLessThan(explore(race(), { registry, reduction: false }).explored);
  });

  it('keeps the shortest violation found before the stop; exploreFileAsync then writes no file', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'khva-explore-stop-'));
    const path = pfncacheScenario('r06-hva-cache-outside-memslots');
    let schedules = 0;
    let firstViolation = 0;
    const r = explore(load(path), {
      registry,
      onLeaf: (leaf) => {
        schedules++;
        if (leaf.end === 'violation' && firstViolation === 0) firstViolation = schedules;
      },
      shouldStop: () => firstViolation > 0,
    });
    expect(r).toMatchObject({ stopped: true, violating: 1, explored: firstViolation });
    expect(r.counterexample?.violations.map((v) => v.name)).toEqual(['valid-pfn-is-current']);

    let polls = 0;
    const file = await exploreFileAsync(path, {
      registry,
      outDir,
      shouldStop: () => ++polls > firstViolation,
    });
    expect(file).toMatchObject({ stopped: true, explored: firstViolation, violating: 1 });
    expect(file.counterexample?.violations).toEqual(['valid-pfn-is-current']);
    expect(file.counterexample?.writeError).toBe('the search was interrupted; nothing was written');
    expect(readdirSync(outDir)).toEqual([]);
  });
});
