import { describe, expect, it } from 'vitest';
import {
  Calibration,
  CostLedger,
  MM_LOCAL_START,
  ModelUsageError,
  PageTable,
  USER_TOP,
  VMALLOC_START,
  vpnOf,
} from '../src/index.ts';
import { machine, on } from './helpers.ts';

describe('PageTable', () => {
  it('allocates PTE, PMD and PUD table pages on first use and counts them', () => {
    const l = new CostLedger(new Calibration());
    const pt = new PageTable('test', l);
    const vpn = vpnOf(VMALLOC_START);
    expect(pt.set(vpn, { pfn: 10, gen: 0 })).toBeUndefined();
    expect(pt.tablePages).toBe(3);
    expect(l.counters.pageTablePages).toBe(3);
    expect(l.byRow.get('ptePageAlloc')).toBe(3 * 800);
    // Same 2 MiB: no new table page.
    pt.set(vpn + 511, { pfn: 11, gen: 0 });
    expect(pt.tablePages).toBe(3);
    // Next 2 MiB: a new PTE page.
    pt.set(vpn + 512, { pfn: 12, gen: 0 });
    expect(pt.tablePages).toBe(4);
    // Next 1 GiB: a PTE page and a PMD page.
    pt.set(vpn + 512 * 512, { pfn: 13, gen: 0 });
    expect(pt.tablePages).toBe(6);
    // Next 512 GiB: one of each level.
    pt.set(vpn + 512 * 512 * 512, { pfn: 14, gen: 0 });
    expect(pt.tablePages).toBe(9);
    expect(l.counters.pageTablePagesPeak).toBe(9);
    expect(pt.size).toBe(5);
  });

  it('returns the previous PTE on set and clear, and keeps table pages after a clear', () => {
    const l = new CostLedger(new Calibration());
    const pt = new PageTable('test', l);
    pt.set(100, { pfn: 1, gen: 0 });
    expect(pt.set(100, { pfn: 2, gen: 3 })).toEqual({ pfn: 1, gen: 0 });
    expect(pt.get(100)).toEqual({ pfn: 2, gen: 3 });
    expect(pt.clear(100)).toEqual({ pfn: 2, gen: 3 });
    expect(pt.get(100)).toBeUndefined();
    expect(pt.clear(100)).toBeUndefined();
    expect(pt.tablePages).toBe(3);
    expect(l.counters.pageTablePages).toBe(3);
  });

  it('gives every table page back on destroy and returns the PTEs still set', () => {
    const l = new CostLedger(new Calibration());
    const pt = new PageTable('test', l);
    pt.set(1, { pfn: 1, gen: 0 });
    pt.set(2 * 512, { pfn: 2, gen: 0 });
    expect([...pt.entries()].map(([vpn]) => vpn)).toEqual([1, 1024]);
    expect(pt.destroy()).toEqual([
      [1, { pfn: 1, gen: 0 }],
      [1024, { pfn: 2, gen: 0 }],
    ]);
    expect(pt.tablePages).toBe(0);
    expect(pt.size).toBe(0);
    expect(l.counters.pageTablePages).toBe(0);
    expect(l.counters.pageTablePagesPeak).toBe(4);
  });
});

describe('Machine page tables', () => {
  it('keeps per-mm user page tables: a user PTE translates only where its mm is loaded', () => {
    const m = machine(2);
    const a = m.createMm('a');
    const b = m.createMm('b');
    const f = m.mem.alloc(0, a.id);
    const uva = 0x7f00_0000_0000;
    m.mapUser(a, uva, f.pfn);
    m.switchMm(m.cpu(0), a);
    m.switchMm(m.cpu(1), b);
    expect(m.translate(m.cpu(0), uva)).toEqual({ pfn: f.pfn, gen: 0, via: 'pte', stale: false });
    expect(m.translate(m.cpu(1), uva)).toBeNull();
    expect(a.userPt.size).toBe(1);
    expect(m.unmapUser(a, uva)).toMatchObject({ pfn: f.pfn, gen: 0 });
    expect(m.translate(m.cpu(0), uva)).toBeNull();
    expect(m.unmapUser(a, uva)).toBeUndefined();
  });

  it('shares the vmalloc page table across every mm, and keeps mm-local tables private', () => {
    const m = machine(2);
    const a = m.createMm('a');
    const b = m.createMm('b');
    m.switchMm(m.cpu(0), a);
    m.switchMm(m.cpu(1), b);
    const f = m.mem.alloc(0, 0);
    m.mapGlobal(VMALLOC_START, f.pfn);
    m.mapLocal(a, MM_LOCAL_START, f.pfn);
    expect(m.translate(m.cpu(0), VMALLOC_START)?.pfn).toBe(f.pfn);
    expect(m.translate(m.cpu(1), VMALLOC_START)?.pfn).toBe(f.pfn);
    expect(m.translate(m.cpu(0), MM_LOCAL_START)?.pfn).toBe(f.pfn);
    expect(m.translate(m.cpu(1), MM_LOCAL_START)).toBeNull();
    expect(m.unmapLocal(a, MM_LOCAL_START)).toMatchObject({ pfn: f.pfn, gen: 0 });
    expect(m.unmapGlobal(VMALLOC_START)).toMatchObject({ pfn: f.pfn, gen: 0 });
    expect(m.unmapGlobal(VMALLOC_START)).toBeUndefined();
  });

  it('rejects a PTE outside its region, unaligned, or for a pfn that is not RAM', () => {
    const m = machine(1);
    const a = m.createMm('a');
    expect(() => m.mapGlobal(MM_LOCAL_START, 5000)).toThrow(ModelUsageError);
    expect(() => m.mapGlobal(VMALLOC_START + 8, 5000)).toThrow(/page-aligned vmalloc/);
    expect(() => m.mapLocal(a, VMALLOC_START, 5000)).toThrow(/mm-local/);
    expect(() => m.mapUser(a, USER_TOP, 5000)).toThrow(/user/);
    expect(() => m.mapGlobal(VMALLOC_START, m.mem.totalPages)).toThrow(/not RAM/);
  });

  it('tears an mm down with its page-table pages, TLB entries and cpumask', () => {
    const m = machine(2);
    const a = m.createMm('a');
    const f = m.mem.alloc(0, a.id);
    const before = m.ledger.counters.pageTablePages;
    m.mapUser(a, 0x1000, f.pfn);
    m.mapLocal(a, MM_LOCAL_START, f.pfn);
    expect(m.ledger.counters.pageTablePages).toBe(before + 6);
    m.switchMm(m.cpu(0), a);
    expect(m.access(on(m, 0), MM_LOCAL_START, 8, 'read').ok).toBe(true);
    expect(m.access(on(m, 0), 0x1000, 8, 'read').ok).toBe(true);
    expect(m.cpu(0).tlb.entries.size).toBe(2);
    m.destroyMm(a);
    expect(a.alive).toBe(false);
    expect(m.mms.has(a.id)).toBe(false);
    expect(m.cpu(0).loadedMm).toBeNull();
    expect(m.cpu(0).tlb.entries.size).toBe(0);
    expect(a.cpumask.size).toBe(0);
    expect(m.ledger.counters.pageTablePages).toBe(before);
  });
});
