import { describe, expect, it } from 'vitest';
import {
  type Machine,
  MM_LOCAL_START,
  PAGE_SIZE,
  Tlb,
  type TlbEntry,
  tlbKey,
  VMALLOC_START,
} from '../src/index.ts';
import { machine, on } from './helpers.ts';

const P = PAGE_SIZE;

function entry(asid: number, vpn: number, pfn = 1): TlbEntry {
  return { key: tlbKey(asid, vpn), vpn, asid, pfn, gen: 0, viaDirectMap: false, scope: asid, stale: false };
}

/** Map `pages` host pages at the start of vmalloc space and touch each from every CPU. */
function mapAndTouch(m: Machine, pages: number): number[] {
  const pfns: number[] = [];
  for (let i = 0; i < pages; i++) {
    const f = m.mem.alloc(0, 0);
    pfns.push(f.pfn);
    m.mapGlobal(VMALLOC_START + i * P, f.pfn);
  }
  for (const cpu of m.cpus) {
    for (let i = 0; i < pages; i++) m.access(on(m, cpu.id), VMALLOC_START + i * P, 8, 'read');
  }
  return pfns;
}

describe('Tlb', () => {
  it('keys entries by ASID and page, and evicts the oldest entry when full', () => {
    const t = new Tlb(2);
    expect(t.insert(entry(0, 1))).toBeUndefined();
    expect(t.insert(entry(5, 1))).toBeUndefined();
    expect(t.lookup(0, 1)?.asid).toBe(0);
    expect(t.lookup(5, 1)?.asid).toBe(5);
    expect(t.lookup(6, 1)).toBeUndefined();
    const evicted = t.insert(entry(0, 2));
    expect(evicted?.key).toBe(tlbKey(0, 1));
    expect(t.entries.size).toBe(2);
    // Re-inserting a present key evicts nothing.
    expect(t.insert(entry(0, 2, 9))).toBeUndefined();
    expect(t.lookup(0, 2)?.pfn).toBe(9);
    expect(t.removeWhere((e) => e.asid === 5).map((e) => e.key)).toEqual([tlbKey(5, 1)]);
    expect(t.remove(tlbKey(0, 2))?.pfn).toBe(9);
    expect(t.remove(tlbKey(0, 2))).toBeUndefined();
    expect(t.entries.size).toBe(0);
  });
});

describe('a TLB entry outlives its PTE until flushed', () => {
  it('keeps translating (stale) after the PTE is cleared, on the CPUs that cached it', () => {
    const m = machine(2);
    const f = m.mem.alloc(0, 0);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    expect(m.access(on(m, 0), va, 8, 'write')).toMatchObject({ ok: true, tlbHit: false, stale: false });
    expect(m.access(on(m, 0), va, 8, 'read')).toMatchObject({ ok: true, tlbHit: true, stale: false });
    expect(m.oracle.figures().staleNow).toBe(0);

    m.unmapGlobal(va);
    expect(m.translate(m.cpu(0), va)).toEqual({ pfn: f.pfn, gen: 0, via: 'tlb', stale: true });
    expect(m.cpu(0).tlb.lookup(0, va / P)?.stale).toBe(true);
    expect(m.oracle.figures().staleNow).toBe(1);
    expect(m.access(on(m, 0), va, 8, 'read')).toMatchObject({
      ok: true,
      tlbHit: true,
      stale: true,
      pfn: f.pfn,
    });
    // CPU 1 never cached it: the walk finds nothing.
    expect(m.access(on(m, 1), va, 8, 'read')).toMatchObject({ ok: false, kind: 'oops' });

    m.flushLocalPage(m.cpu(0), va);
    expect(m.translate(m.cpu(0), va)).toBeNull();
    expect(m.oracle.figures().staleNow).toBe(0);
    expect(m.access(on(m, 0), va, 8, 'read')).toMatchObject({ ok: false, kind: 'oops' });
    expect(m.ledger.counters.tlbFlushesLocal).toBe(1);
    expect(m.ledger.byRow.get('invlpg')).toBe(260);
  });

  it('marks the entry stale when the PTE is changed to another frame', () => {
    const m = machine(1);
    const a = m.mem.alloc(0, 0);
    const b = m.mem.alloc(0, 0);
    m.mapGlobal(VMALLOC_START, a.pfn);
    m.access(on(m, 0), VMALLOC_START, 8, 'read');
    m.mapGlobal(VMALLOC_START, b.pfn);
    expect(m.access(on(m, 0), VMALLOC_START, 8, 'read')).toMatchObject({ ok: true, stale: true, pfn: a.pfn });
    m.flushLocalPage(m.cpu(0), VMALLOC_START);
    expect(m.access(on(m, 0), VMALLOC_START, 8, 'read')).toMatchObject({
      ok: true,
      stale: false,
      pfn: b.pfn,
    });
  });

  it('drops a stale entry when it is evicted by capacity', () => {
    const m = machine(1, { tlbEntries: 2 });
    const pfns = [m.mem.alloc(0, 0).pfn, m.mem.alloc(0, 0).pfn, m.mem.alloc(0, 0).pfn];
    pfns.forEach((pfn, i) => {
      m.mapGlobal(VMALLOC_START + i * P, pfn);
    });
    m.access(on(m, 0), VMALLOC_START, 8, 'read');
    m.unmapGlobal(VMALLOC_START);
    expect(m.oracle.figures().staleNow).toBe(1);
    m.access(on(m, 0), VMALLOC_START + P, 8, 'read');
    m.access(on(m, 0), VMALLOC_START + 2 * P, 8, 'read');
    expect(m.cpu(0).tlb.entries.size).toBe(2);
    expect(m.oracle.figures().staleNow).toBe(0);
    expect(m.access(on(m, 0), VMALLOC_START, 8, 'read').ok).toBe(false);
  });
});

describe('flush_tlb_kernel_range', () => {
  it('above the 33-page ceiling (34 pages) does a full flush on every CPU, IPIs = online CPUs - 1', () => {
    const m = machine(4);
    mapAndTouch(m, 35);
    const user = m.createMm('u');
    m.mapLocal(user, MM_LOCAL_START, m.mem.alloc(0, 0).pfn);
    m.switchMm(m.cpu(2), user);
    m.access(on(m, 2), MM_LOCAL_START, 8, 'read');
    const before = m.ledger.cycles;
    const r = m.flushTlbKernelRange(m.cpu(0), VMALLOC_START, VMALLOC_START + 34 * P);
    expect(r).toEqual({ fullFlush: true, ipis: 3 });
    for (const cpu of m.cpus) expect(cpu.tlb.entries.size).toBe(0);
    const c = m.ledger.counters;
    expect([c.ipis, c.tlbFlushesGlobal, c.tlbFlushesLocal]).toEqual([3, 1, 0]);
    expect(m.ledger.byRow.get('flushAllGlobal')).toBe(4 * 200);
    expect(m.ledger.byRow.get('invlpg')).toBeUndefined();
    expect(m.ledger.byRow.get('ipiInitiatorBase')).toBe(2000);
    expect(m.ledger.byRow.get('ipiPerTarget')).toBe(3 * 100);
    expect(m.ledger.byRow.get('ipiTargetHandler')).toBe(3 * 1500);
    expect(m.ledger.cycles - before).toBe(4 * 200 + 2000 + 3 * 100 + 3 * 1500);
  });

  it('at the ceiling (33 pages) invalidates page by page and keeps other entries', () => {
    const m = machine(4);
    mapAndTouch(m, 35);
    const r = m.flushTlbKernelRange(m.cpu(1), VMALLOC_START, VMALLOC_START + 33 * P);
    expect(r).toEqual({ fullFlush: false, ipis: 3 });
    for (const cpu of m.cpus) {
      expect(cpu.tlb.entries.size).toBe(2);
      expect(cpu.tlb.lookup(0, VMALLOC_START / P + 33)).toBeDefined();
      expect(cpu.tlb.lookup(0, VMALLOC_START / P + 32)).toBeUndefined();
    }
    expect(m.ledger.byRow.get('invlpg')).toBe(4 * 33 * 260);
    expect(m.ledger.byRow.get('flushAllGlobal')).toBeUndefined();
  });

  it('leaves mm-local entries alone in a ranged flush', () => {
    const m = machine(2);
    const mm = m.createMm('vm');
    m.mapLocal(mm, MM_LOCAL_START, m.mem.alloc(0, 0).pfn);
    m.switchMm(m.cpu(0), mm);
    m.access(on(m, 0), MM_LOCAL_START, 8, 'read');
    m.flushTlbKernelRange(m.cpu(0), VMALLOC_START, VMALLOC_START + P);
    expect(m.cpu(0).tlb.lookup(mm.id, MM_LOCAL_START / P)).toBeDefined();
  });

  it('sends no IPI to offline CPUs, and one per online CPU when the initiator is offline', () => {
    const m = machine(4);
    m.cpu(3).online = false;
    expect(m.flushTlbKernelRange(m.cpu(0), VMALLOC_START, VMALLOC_START + P).ipis).toBe(2);
    expect(m.flushTlbKernelRange(m.cpu(3), VMALLOC_START, VMALLOC_START + P).ipis).toBe(3);
    expect(m.ledger.counters.ipis).toBe(5);
    expect(m.ledger.counters.tlbFlushesGlobal).toBe(2);
  });

  it('on a single CPU sends no IPI and charges no IPI cost', () => {
    const m = machine(1);
    expect(m.flushTlbKernelRange(m.cpu(0), VMALLOC_START, VMALLOC_START + P)).toEqual({
      fullFlush: false,
      ipis: 0,
    });
    expect(m.ledger.byRow.get('ipiInitiatorBase')).toBeUndefined();
  });

  it('honours a configured single-page flush ceiling', () => {
    const m = machine(2, { singlePageFlushCeiling: 1 });
    expect(m.flushTlbKernelRange(m.cpu(0), VMALLOC_START, VMALLOC_START + 2 * P).fullFlush).toBe(true);
    expect(m.flushTlbKernelRange(m.cpu(0), VMALLOC_START, VMALLOC_START + P).fullFlush).toBe(false);
  });
});

describe('mm-targeted flush (flush_tlb_mm_range)', () => {
  function setup(): {
    m: Machine;
    mm: ReturnType<Machine['createMm']>;
    other: ReturnType<Machine['createMm']>;
  } {
    const m = machine(4);
    const mm = m.createMm('vm');
    const other = m.createMm('other');
    m.mapLocal(mm, MM_LOCAL_START, m.mem.alloc(0, 0).pfn);
    // CPUs 0, 1 and 2 run the mm and cache the mm-local page; CPU 1 then switches to another mm.
    for (const id of [0, 1, 2]) {
      m.switchMm(m.cpu(id), mm);
      m.access(on(m, id), MM_LOCAL_START, 8, 'read');
    }
    m.switchMm(m.cpu(1), other);
    m.switchMm(m.cpu(3), other);
    return { m, mm, other };
  }

  it('IPIs only the other CPUs that have the mm loaded', () => {
    const { m, mm } = setup();
    expect([...mm.cpumask].sort()).toEqual([0, 2]);
    const r = m.flushTlbMm(m.cpu(0), mm, MM_LOCAL_START, MM_LOCAL_START + P);
    expect(r).toEqual({ ipis: 1 });
    expect(m.ledger.counters.ipis).toBe(1);
    expect(m.ledger.counters.tlbFlushesMm).toBe(1);
    expect(m.ledger.byRow.get('invlpg')).toBe(2 * 260);
    // Every CPU loses the mm's entry, the one without the mm loaded without an IPI.
    for (const cpu of m.cpus) expect(cpu.tlb.lookup(mm.id, MM_LOCAL_START / P)).toBeUndefined();
  });

  it('counts every loaded CPU when called from outside the mm', () => {
    const { m, mm } = setup();
    expect(m.flushTlbMm(null, mm, MM_LOCAL_START, MM_LOCAL_START + P).ipis).toBe(2);
    expect(m.flushTlbMm(m.cpu(3), mm, MM_LOCAL_START, MM_LOCAL_START + P).ipis).toBe(2);
  });

  it("flushes the mm's whole ASID above the ceiling and leaves global entries alone", () => {
    const { m, mm } = setup();
    const f = m.mem.alloc(0, 0);
    m.mapGlobal(VMALLOC_START, f.pfn);
    m.access(on(m, 0), VMALLOC_START, 8, 'read');
    m.mapLocal(mm, MM_LOCAL_START + 100 * P, f.pfn);
    m.access(on(m, 0), MM_LOCAL_START + 100 * P, 8, 'read');
    m.flushTlbMm(m.cpu(0), mm, MM_LOCAL_START, MM_LOCAL_START + 40 * P);
    expect(m.cpu(0).tlb.lookup(mm.id, MM_LOCAL_START / P + 100)).toBeUndefined();
    expect(m.cpu(0).tlb.lookup(0, VMALLOC_START / P)).toBeDefined();
    expect(m.ledger.byRow.get('flushLocalAll')).toBe(2 * 100);
  });
});

describe('local flushes and mm switches', () => {
  it('flush_tlb_local keeps global entries; __flush_tlb_all drops everything', () => {
    const m = machine(1);
    const mm = m.createMm('a');
    const f = m.mem.alloc(0, 0);
    m.mapGlobal(VMALLOC_START, f.pfn);
    m.mapLocal(mm, MM_LOCAL_START, f.pfn);
    m.switchMm(m.cpu(0), mm);
    m.access(on(m, 0), VMALLOC_START, 8, 'read');
    m.access(on(m, 0), MM_LOCAL_START, 8, 'read');
    m.flushLocalAll(m.cpu(0), false);
    expect([...m.cpu(0).tlb.entries.values()].map((e) => e.asid)).toEqual([0]);
    m.flushLocalAll(m.cpu(0), true);
    expect(m.cpu(0).tlb.entries.size).toBe(0);
    expect(m.ledger.counters.tlbFlushesLocal).toBe(2);
    expect(m.ledger.byRow.get('flushLocalAll')).toBe(100);
    expect(m.ledger.byRow.get('flushAllGlobal')).toBe(200);
  });

  it('invlpg drops the global and the loaded mm entry for that page only', () => {
    const m = machine(1);
    const mm = m.createMm('a');
    const f = m.mem.alloc(0, 0);
    m.mapUser(mm, 0x2000, f.pfn);
    m.mapUser(mm, 0x3000, f.pfn);
    m.switchMm(m.cpu(0), mm);
    m.access(on(m, 0), 0x2000, 8, 'read');
    m.access(on(m, 0), 0x3000, 8, 'read');
    m.flushLocalPage(m.cpu(0), 0x2000);
    expect(m.cpu(0).tlb.lookup(mm.id, 2)).toBeUndefined();
    expect(m.cpu(0).tlb.lookup(mm.id, 3)).toBeDefined();
  });

  it('switch_mm moves the CPU between cpumasks, keeps both TLB ASIDs, and costs only on a change', () => {
    const m = machine(2);
    const a = m.createMm('a');
    const b = m.createMm('b');
    m.switchMm(m.cpu(0), a);
    expect([...a.cpumask]).toEqual([0]);
    const cycles = m.ledger.cycles;
    m.switchMm(m.cpu(0), a);
    expect(m.ledger.cycles).toBe(cycles);
    m.mapLocal(a, MM_LOCAL_START, m.mem.alloc(0, 0).pfn);
    m.access(on(m, 0), MM_LOCAL_START, 8, 'read');
    m.switchMm(m.cpu(0), b);
    expect(m.ledger.cycles - cycles).toBeGreaterThan(400);
    expect(a.cpumask.size).toBe(0);
    expect([...b.cpumask]).toEqual([0]);
    expect(m.cpu(0).tlb.lookup(a.id, MM_LOCAL_START / P)).toBeDefined();
    // ...but it does not translate while another mm is loaded.
    expect(m.translate(m.cpu(0), MM_LOCAL_START)).toBeNull();
    m.switchMm(m.cpu(0), null);
    expect(b.cpumask.size).toBe(0);
  });
});
