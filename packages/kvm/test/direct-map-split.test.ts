import { HOST, PAGES_PER_2M, runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { addGmemSlot, gmemSlot, handOut, setup } from './helpers.ts';

const NDM = { mmap: false, noDirectMap: true } as const;

describe('direct-map leaf splits caused by guest_memfd removal', () => {
  it('counts a 2 MiB split (and the 1 GiB boot leaf split) once, for the first page removed from the leaf', () => {
    const s = setup();
    const { slot } = addGmemSlot(s, gmemSlot(NDM, 0, 0x100, 16));
    const c = s.m.ledger.counters;
    const pt0 = c.pageTablePages;
    const a = handOut(s, slot, 0x100);
    expect(s.m.directMap.leafSize(a)).toBe('4K');
    expect([c.directMapSplits, c.directMapSplits1G, c.directMapSplits2M]).toEqual([2, 1, 1]);
    expect(c.pageTablePages - pt0).toBe(2);
    const b = handOut(s, slot, 0x101);
    expect(Math.floor(b / PAGES_PER_2M)).toBe(Math.floor(a / PAGES_PER_2M));
    expect([c.directMapSplits, c.directMapSplits1G, c.directMapSplits2M]).toEqual([2, 1, 1]);
    expect(c.pageTablePages - pt0).toBe(2);
  });

  it('a page in the next 2 MiB leaf splits that leaf, but not the 1 GiB leaf again', () => {
    const s = setup();
    const { slot } = addGmemSlot(s, gmemSlot(NDM, 0, 0x100, 16));
    const a = handOut(s, slot, 0x100);
    // Use up the rest of a's 2 MiB leaf with host pages so the next folio lands in the next leaf.
    while (s.m.mem.alloc(HOST, 0).pfn % PAGES_PER_2M !== PAGES_PER_2M - 1);
    const b = handOut(s, slot, 0x101);
    expect(Math.floor(b / PAGES_PER_2M)).toBe(Math.floor(a / PAGES_PER_2M) + 1);
    const c = s.m.ledger.counters;
    expect([c.directMapSplits1G, c.directMapSplits2M]).toEqual([1, 2]);
    expect(c.pageTablePages).toBe(3);
  });

  it('restoring on free never merges the leaf back: the split and its page-table page stay', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot(NDM, 0, 0x100, 16));
    const a = handOut(s, slot, 0x100);
    runAlone(file.punchHole(s.vmm, 0, 16));
    expect(s.m.directMap.isPresent(a)).toBe(true);
    expect(s.m.directMap.leafSize(a)).toBe('4K');
    expect(s.m.ledger.counters.pageTablePages).toBe(2);
    expect(s.m.ledger.counters.directMapSplits).toBe(2);
  });

  it('a direct map booted with 2 MiB leaves has no 1 GiB split to make', () => {
    const s = setup({}, 2, '2M');
    const { slot } = addGmemSlot(s, gmemSlot(NDM, 0, 0x100, 16));
    handOut(s, slot, 0x100);
    const c = s.m.ledger.counters;
    expect([c.directMapSplits, c.directMapSplits1G, c.directMapSplits2M]).toEqual([1, 0, 1]);
  });

  it('guest_memfd without NO_DIRECT_MAP splits nothing', () => {
    const s = setup();
    const { slot } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: false }, 0, 0x100, 16));
    for (let g = 0; g < 16; g++) handOut(s, slot, 0x100 + g);
    expect(s.m.ledger.counters.directMapSplits).toBe(0);
    expect(s.m.ledger.counters.pageTablePages).toBe(0);
  });
});
