import { describe, expect, it } from 'vitest';
import { createTestWorld, leftovers, probe, probeAll, promisedUsable } from '../src/index.ts';
import { eagerVmapFixture, mmLocalFixture } from './fixtures.ts';

// The checks the contract relies on must catch the faults they claim to.
describe('contract checks catch broken backends', () => {
  it('leftovers() reports a VA the backend forgot to free', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = eagerVmapFixture.create(w.machine, { leakVa: true });
    const pfn = w.gmemPfn(0);
    const before = w.snapshot();
    const r = b.map(w.mapContext(), pfn);
    if (!r.ok) throw new Error('map failed');
    b.unmap(w.mapContext(), r.khva, pfn);
    expect(leftovers(w, before, r.khva, pfn)).toEqual([
      expect.stringContaining('vmalloc VA in use'),
      expect.stringContaining('VA bytes'),
    ]);
  });

  it('leftovers() reports stale TLB entries and exposure when the flush is skipped', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = eagerVmapFixture.create(w.machine, { skipFlush: true });
    const pfn = w.gmemPfn(0);
    const before = w.snapshot();
    const r = b.map(w.mapContext(), pfn);
    if (!r.ok) throw new Error('map failed');
    probeAll(w, b, r.khva, pfn);
    b.unmap(w.mapContext(), r.khva, pfn);
    const left = leftovers(w, before, r.khva, pfn);
    expect(left.some((l) => l.startsWith('CPUs still caching khva: 0, 1, 2, 3'))).toBe(true);
    expect(left.some((l) => l.startsWith('oracle exposedNow'))).toBe(true);
    expect(left.some((l) => l.startsWith('oracle staleNow'))).toBe(true);
  });

  it('probe() shows reachable() lying: an mm-local mapping that claims to work under a foreign IRQ oopses', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = mmLocalFixture.create(w.machine, { lie: true });
    const pfn = w.gmemPfn(0);
    const r = b.map(w.mapContext(), pfn);
    if (!r.ok) throw new Error('map failed');
    const p = probe(w, b, r.khva, pfn, 'irq');
    expect(p.reachable).toBe(true);
    expect(p.usable).toBe(false);
    expect(p.outcome.ok ? null : p.outcome.kind).toBe('oops');
    expect(promisedUsable(b.traits, 'irq')).toBe(false);
    expect(probe(w, b, r.khva, pfn, 'kthread').usable).toBe(true);
  });
});
