// The TLB kept as typed-array columns with a hash and a fill-order list, and the directory's
// bitsets of holders, must answer exactly as the plain structures they replaced: a Map in
// insertion order (FIFO eviction of the oldest, a present key keeping its place) and a Set of CPUs.
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, Prng, Tlb, type TlbEntry, tlbKey, VMALLOC_START } from '../src/index.ts';
import { TlbDirectory } from '../src/tlb-directory.ts';
import { machine, on } from './helpers.ts';

const P = PAGE_SIZE;

function entry(asid: number, vpn: number, pfn: number, stale = false, ident?: string): TlbEntry {
  const base = {
    key: tlbKey(asid, vpn),
    vpn,
    asid,
    pfn,
    gen: pfn % 3,
    viaDirectMap: pfn % 2 === 0,
    scope: asid,
  };
  return ident === undefined ? { ...base, stale } : { ...base, ident, stale };
}

/** The TLB as it was: a Map in insertion order, FIFO eviction, a present key keeping its place. */
class NaiveTlb {
  readonly entries = new Map<number, TlbEntry>();
  constructor(readonly capacity: number) {}
  insert(e: TlbEntry): TlbEntry | undefined {
    let evicted: TlbEntry | undefined;
    if (this.entries.size >= this.capacity && !this.entries.has(e.key)) {
      const first = this.entries.keys().next().value as number;
      evicted = this.entries.get(first);
      this.entries.delete(first);
    }
    this.entries.set(e.key, { ...e });
    return evicted;
  }
  remove(key: number): TlbEntry | undefined {
    const e = this.entries.get(key);
    this.entries.delete(key);
    return e;
  }
  removeWhere(pred: (e: TlbEntry) => boolean): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (const [k, e] of this.entries) {
      if (pred(e)) {
        out.push(e);
        this.entries.delete(k);
      }
    }
    return out;
  }
}

describe('Tlb columns', () => {
  it('evict, replace, remove and list like a Map in insertion order, through growth and hash deletions', () => {
    for (const capacity of [1, 3, 8, 9, 40]) {
      const t = new Tlb(capacity);
      const naive = new NaiveTlb(capacity);
      const rng = new Prng(capacity);
      // Few pages over two address spaces and vpns above 2^32, so keys collide, repeat and leave often.
      const vpns = [1, 2, 3, 511, 512, 2 ** 33 + 7, VMALLOC_START / P, VMALLOC_START / P + 1, 5e10 + 3];
      for (let i = 0; i < 800; i++) {
        const asid = rng.next() < 0.3 ? 0 : 1 + Math.floor(rng.next() * 2);
        const vpn = vpns[Math.floor(rng.next() * vpns.length)]!;
        const r = rng.next();
        if (r < 0.55) {
          const e = entry(asid, vpn, i, rng.next() < 0.2, rng.next() < 0.5 ? `id${i}` : undefined);
          expect(t.insert(e)).toEqual(naive.insert(e));
        } else if (r < 0.85) {
          expect(t.remove(tlbKey(asid, vpn))).toEqual(naive.remove(tlbKey(asid, vpn)));
        } else if (r < 0.9) {
          const pred = (e: TlbEntry) => e.asid === asid && e.pfn % 2 === 0;
          expect(t.removeWhere(pred)).toEqual(naive.removeWhere(pred));
        } else if (r < 0.92) {
          const gone: TlbEntry[] = [];
          t.dropAll(asid === 0, (tlb, slot) => gone.push(tlb.entryAt(slot)));
          expect(gone).toEqual(naive.removeWhere((e) => asid === 0 || e.asid !== 0));
        }
        expect(t.entries.size).toBe(naive.entries.size);
        expect(t.size).toBeLessThanOrEqual(capacity);
        const got = vpns.flatMap((v) => [0, 1, 2].map((a) => t.lookup(a, v)));
        expect(got).toEqual(vpns.flatMap((v) => [0, 1, 2].map((a) => naive.entries.get(tlbKey(a, v)))));
      }
      expect([...t.entries.values()]).toEqual([...naive.entries.values()]);
      expect([...t.entries.keys()]).toEqual([...naive.entries.keys()]);
    }
  });

  it('a stale mark and a remembered frame belong to the entry, not to the slot it leaves behind', () => {
    const m = machine(1);
    const ctx = on(m, 0);
    const tlb = m.cpu(0).tlb;
    const a = m.mem.alloc(0, 0);
    const b = m.mem.alloc(0, 0);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, a.pfn);
    m.access(ctx, va, 8, 'write', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const slot = tlb.find(0, va / P);
    expect(tlb.frameAt(slot)).toBe(a);
    m.unmapGlobal(va);
    expect(tlb.lookup(0, va / P)?.stale).toBe(true);
    // The stale entry still writes to the frame it was filled with.
    expect(m.access(ctx, va, 8, 'write', Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9))).toMatchObject({
      ok: true,
      pfn: a.pfn,
      stale: true,
    });
    m.flushLocalPage(m.cpu(0), va);
    m.mapGlobal(va, b.pfn);
    const r = m.access(ctx, va, 8, 'read');
    // The refill reuses the slot: neither the stale mark nor the old frame comes with it.
    expect(tlb.find(0, va / P)).toBe(slot);
    expect(r).toMatchObject({ ok: true, pfn: b.pfn, tlbHit: false, stale: false, useAfterFree: false });
    expect(tlb.frameAt(slot)).toBe(b);
    expect(a.bytes?.[0]).toBe(9);
    expect(b.bytes).toBeNull();
  });

  it('memory grows with the entries held, never past the capacity, however many accesses', () => {
    const m = machine(1, { tlbEntries: 16 });
    const ctx = on(m, 0);
    const pages = 40;
    const va = m.vmalloc.alloc(pages * P);
    for (let i = 0; i < pages; i++) m.mapGlobal(va + i * P, m.mem.alloc(0, 0).pfn);
    const tlb = m.cpu(0).tlb;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < pages; i++) m.access(ctx, va + i * P, 8, 'read');
      expect(tlb.size).toBe(16);
    }
    // Slots are reused: never one at or above the capacity, however many fills and evictions.
    for (let i = pages - 16; i < pages; i++) expect(tlb.find(0, va / P + i)).toBeLessThan(16);
    // FIFO: the last 16 pages touched are the ones cached, oldest first.
    expect([...tlb.entries.values()].map((e) => e.vpn - va / P)).toEqual(
      Array.from({ length: 16 }, (_, i) => pages - 16 + i),
    );
  });
});

describe('TLB directory bitsets', () => {
  it('list the holders of a page among hundreds of CPUs as a Set would, ascending', () => {
    const dir = new TlbDirectory();
    const naive = new Map<number, Set<number>>();
    const rng = new Prng(11);
    for (let i = 0; i < 4000; i++) {
      const vpn = Math.floor(rng.next() * 3);
      // CPUs in several bitset words, the first ones more often (pages held by one CPU, then many).
      const cpu = rng.next() < 0.5 ? Math.floor(rng.next() * 3) : Math.floor(rng.next() * 300);
      if (rng.next() < 0.55) {
        dir.add(1, vpn, cpu);
        naive.set(vpn, (naive.get(vpn) ?? new Set()).add(cpu));
      } else {
        dir.remove(1, vpn, cpu);
        naive.get(vpn)?.delete(cpu);
        if (naive.get(vpn)?.size === 0) naive.delete(vpn);
      }
      for (let v = 0; v < 3; v++) {
        expect(dir.holders(1, v)).toEqual([...(naive.get(v) ?? [])].sort((a, b) => a - b));
      }
      expect(dir.pagesOf(1)).toBe(naive.size);
    }
    const cached = dir.cached(1).map(({ vpn, cpu }) => `${vpn}:${cpu}`);
    const want = [...naive].flatMap(([vpn, s]) => [...s].map((cpu) => `${vpn}:${cpu}`));
    expect(cached.sort()).toEqual(want.sort());
  });
});
