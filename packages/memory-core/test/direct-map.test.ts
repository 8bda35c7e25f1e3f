import { describe, expect, it } from 'vitest';
import {
  Calibration,
  CostLedger,
  DirectMap,
  formatVa,
  PAGE_OFFSET,
  PAGE_SIZE,
  PAGES_PER_1G,
  PAGES_PER_2M,
} from '../src/index.ts';
import { machine, on } from './helpers.ts';

const ledger = (): CostLedger => new CostLedger(new Calibration());
/** A pfn at the start of a fresh 1 GiB leaf, clear of the kernel image. */
const BASE = 2 * PAGES_PER_1G;

describe('DirectMap (1 GiB / 2 MiB / 4 KiB leaves)', () => {
  it('splits the 1 GiB boot leaf and the 2 MiB leaf when one 4 KiB page is removed', () => {
    const l = ledger();
    const dm = new DirectMap(16 * PAGES_PER_1G, l);
    expect(dm.bootLeaf).toBe('1G');
    expect(dm.leafSize(BASE + 5)).toBe('1G');
    expect(dm.remove(BASE + 5)).toEqual({ split1G: true, split2M: true });
    const c = l.counters;
    expect([c.directMapSplits, c.directMapSplits1G, c.directMapSplits2M]).toEqual([2, 1, 1]);
    expect(c.pageTablePages).toBe(2);
    expect(l.byRow.get('splitDirectMap1G')).toBe(4200);
    expect(l.byRow.get('splitDirectMap2M')).toBe(4200);
    expect(l.byRow.get('ptePageAlloc')).toBe(2 * 800);
    expect(l.byRow.get('setDirectMapInvalid')).toBe(1000);
    expect(dm.isPresent(BASE + 5)).toBe(false);
    expect(dm.isPresent(BASE + 4)).toBe(true);
    expect(dm.absentPages).toBe(1);
    // The removed page's 2 MiB neighbourhood is now 4 KiB leaves, the rest of the GiB 2 MiB leaves.
    expect(dm.leafSize(BASE)).toBe('4K');
    expect(dm.leafSize(BASE + PAGES_PER_2M - 1)).toBe('4K');
    expect(dm.leafSize(BASE + PAGES_PER_2M)).toBe('2M');
    expect(dm.leafSize(BASE + PAGES_PER_1G)).toBe('1G');
  });

  it('counts a leaf split once, for the first page removed from that leaf', () => {
    const l = ledger();
    const dm = new DirectMap(16 * PAGES_PER_1G, l);
    dm.remove(BASE);
    const cycles = l.cycles;
    expect(dm.remove(BASE + 1)).toEqual({ split1G: false, split2M: false });
    expect(l.counters.directMapSplits).toBe(2);
    expect(l.counters.pageTablePages).toBe(2);
    expect(l.cycles - cycles).toBe(1000); // only setDirectMapInvalid
    // Another 2 MiB leaf of the same (already split) GiB: a 2M split only.
    expect(dm.remove(BASE + PAGES_PER_2M)).toEqual({ split1G: false, split2M: true });
    expect([l.counters.directMapSplits, l.counters.directMapSplits1G, l.counters.directMapSplits2M]).toEqual([
      3, 1, 2,
    ]);
    // Removing a page that is already absent changes nothing and costs nothing.
    const before = l.cycles;
    expect(dm.remove(BASE)).toEqual({ split1G: false, split2M: false });
    expect(l.cycles).toBe(before);
    expect(dm.absentPages).toBe(3);
  });

  it('never merges a split leaf back on restore', () => {
    const l = ledger();
    const dm = new DirectMap(16 * PAGES_PER_1G, l);
    dm.remove(BASE + 9);
    expect(dm.restore(BASE + 9)).toBe(true);
    expect(l.byRow.get('setDirectMapDefault')).toBe(1000);
    expect(dm.isPresent(BASE + 9)).toBe(true);
    expect(dm.absentPages).toBe(0);
    expect(dm.leafSize(BASE + 9)).toBe('4K');
    expect(l.counters.pageTablePages).toBe(2);
    expect(dm.restore(BASE + 9)).toBe(false);
    // Removing it again needs no new split.
    expect(dm.remove(BASE + 9)).toEqual({ split1G: false, split2M: false });
    expect(l.counters.directMapSplits).toBe(2);
  });

  it('with 2 MiB boot leaves splits only the 2 MiB leaf', () => {
    const l = ledger();
    const dm = new DirectMap(16 * PAGES_PER_1G, l, '2M');
    expect(dm.leafSize(BASE)).toBe('2M');
    expect(dm.remove(BASE)).toEqual({ split1G: false, split2M: true });
    expect([l.counters.directMapSplits, l.counters.directMapSplits1G, l.counters.directMapSplits2M]).toEqual([
      1, 0, 1,
    ]);
    expect(l.counters.pageTablePages).toBe(1);
  });

  it('treats pfns beyond RAM as not present', () => {
    const dm = new DirectMap(1024, ledger());
    expect(dm.isPresent(1023)).toBe(true);
    expect(dm.isPresent(1024)).toBe(false);
    expect(dm.isPresent(-1)).toBe(false);
  });
});

describe('Machine and the direct map', () => {
  it('gives page_address() as PAGE_OFFSET + pfn * PAGE_SIZE, printed in canonical form', () => {
    const m = machine(2);
    expect(m.pageAddress(0x1234)).toBe(PAGE_OFFSET + 0x1234 * PAGE_SIZE);
    expect(formatVa(m.pageAddress(0x1234))).toBe('0xffff888001234000');
    expect(() => m.pageAddress(m.mem.totalPages)).toThrow(/not RAM/);
  });

  it('builds with 1 GiB leaves by default, 2 MiB on request', () => {
    const one = machine(1);
    const f = one.mem.alloc(1, 1, 'secret');
    expect(one.removeFromDirectMap(f.pfn)).toEqual({ split1G: true, split2M: true });
    const two = machine(1, { directMapLeaf: '2M' });
    const g = two.mem.alloc(1, 1, 'secret');
    expect(two.removeFromDirectMap(g.pfn)).toEqual({ split1G: false, split2M: true });
  });

  it('makes the page_address() of a removed page unusable, and usable again once restored', () => {
    const m = machine(2);
    const f = m.mem.alloc(1, 1, 'secret');
    const va = m.pageAddress(f.pfn);
    expect(m.access(on(m, 0), va, 8, 'write').ok).toBe(true);
    m.removeFromDirectMap(f.pfn);
    // CPU 1 never cached the translation: the walk finds no PTE.
    const r = m.access(on(m, 1), va, 8, 'read');
    expect(r).toMatchObject({ ok: false, kind: 'oops' });
    m.restoreToDirectMap(f.pfn);
    expect(m.access(on(m, 1), va, 8, 'read')).toMatchObject({ ok: true, tlbHit: false, pfn: f.pfn });
    expect(m.directMap.leafSize(f.pfn)).toBe('4K');
  });

  it('refuses a pfn that is not RAM without touching the direct map', () => {
    const m = machine(1);
    expect(() => m.removeFromDirectMap(m.mem.totalPages)).toThrow(/not RAM/);
    expect(m.directMap.absentPages).toBe(0);
    expect(m.ledger.counters.directMapSplits).toBe(0);
    expect(m.ledger.cycles).toBe(0);
  });

  it('marks a cached direct-map translation stale when the page is removed (no flush)', () => {
    const m = machine(2);
    const f = m.mem.alloc(1, 1, 'secret');
    const va = m.pageAddress(f.pfn);
    m.access(on(m, 0), va, 8, 'read');
    m.removeFromDirectMap(f.pfn);
    expect(m.translate(m.cpu(0), va)).toEqual({ pfn: f.pfn, gen: 0, via: 'tlb', stale: true });
    expect(m.translate(m.cpu(1), va)).toBeNull();
    expect(m.oracle.figures().staleNow).toBe(1);
    expect(m.access(on(m, 0), va, 8, 'read')).toMatchObject({ ok: true, tlbHit: true, stale: true });
    m.flushTlbKernelRange(m.cpu(0), va, va + PAGE_SIZE);
    expect(m.translate(m.cpu(0), va)).toBeNull();
    expect(m.oracle.figures().staleNow).toBe(0);
  });
});
