import { createDefaultRegistry } from '@khva/backends';
import { describe, expect, it } from 'vitest';
import { Harness, PV_GFN } from '../src/index.ts';

const TIB_PAGES = 2 ** 28;

describe('a sparse 1 TiB guest', () => {
  it('starts and runs with state for the pages it touched only, not for its 2^28 pages', () => {
    const h = new Harness({
      seed: 1,
      machine: { cpus: 4, tlbEntries: 64, ghz: 2.7, memGiB: 2048 },
      kernel: { gmemInvalidation: true, flushOnZap: true, reachGuard: true },
      calibration: {},
      backend: createDefaultRegistry().get('vmap'),
      onProgress() {},
    });
    // One guest_memfd memslot of 2^28 pages (1 TiB, NO_DIRECT_MAP), two vCPUs.
    const g = h.createGuest({ pvPages: TIB_PAGES, secretPages: 0 }, 2);
    const slot = g.vm.memslots.slots.get(0)!;
    expect(slot.npages).toBe(TIB_PAGES);
    const t = g.vcpus[0]!;
    const first = h.newCache(t, g.vm, 'first', h.gpaOf(PV_GFN), 32);
    const last = h.newCache(t, g.vm, 'last', h.gpaOf(PV_GFN + TIB_PAGES - 1), 32);
    for (const c of [first, last, first]) expect(h.use(t, c, 32, false).result).toBe(0);
    const m = h.machine;
    // Two folios were handed out; nothing else of the guest exists.
    expect(slot.gmem!.folios.size).toBe(2);
    expect([...m.mem.frames.values()].filter((f) => f.owner === g.vm.id)).toHaveLength(2);
    expect(m.mem.frames.size).toBeLessThan(16);
    expect(m.directMap.absentPages).toBe(2);
    // Page tables: the two vmap mappings' tables, not tables for a terabyte.
    expect(m.kernelPt.size).toBe(2);
    expect(m.ledger.counters.pageTablePagesPeak).toBeLessThan(16);
    expect(g.vm.mm.userPt.size).toBe(0);
  });
});
