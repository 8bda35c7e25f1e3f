// The readers inside a cache's read-side section, kept without a Map: the same answers as a Map
// from thread to view in insertion order, through enters, re-enters and leaves in any order.
import { Machine, Prng, Scheduler, type SimThread } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { type ReaderView, ReaderViews } from '../src/index.ts';

describe('ReaderViews', () => {
  it('answers like a Map in insertion order, and an access that enters and leaves leaves nothing', () => {
    const m = new Machine({ cpus: 2 });
    const s = new Scheduler(m, 1);
    const threads: SimThread[] = Array.from({ length: 5 }, (_, i) =>
      s.spawn({ name: `t${i}`, kind: 'vcpu', cpu: i % 2, mm: null }),
    );
    const views = new ReaderViews();
    const naive = new Map<SimThread, ReaderView>();
    const rng = new Prng(3);
    for (let i = 0; i < 600; i++) {
      const t = threads[Math.floor(rng.next() * threads.length)]!;
      if (rng.next() < 0.5) {
        views.enter(t, i, 0xc900_0000_0000 + i * 8);
        naive.set(t, { pfn: i, khva: 0xc900_0000_0000 + i * 8 });
      } else {
        views.leave(t);
        naive.delete(t);
      }
      expect(views.size).toBe(naive.size);
      expect([...views]).toEqual([...naive]);
      for (const x of threads) {
        expect(views.has(x)).toBe(naive.has(x));
        expect(views.get(x)).toEqual(naive.get(x));
      }
    }
    for (const t of threads) views.leave(t);
    expect([views.size, [...views]]).toEqual([0, []]);
  });
});
