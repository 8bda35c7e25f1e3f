import { describe, expect, it } from 'vitest';
import {
  type FaultResult,
  formatVa,
  HOST,
  type Machine,
  MM_LOCAL_START,
  type Mm,
  ModelUsageError,
  PAGE_SIZE,
  VMALLOC_START,
  type Vma,
} from '../src/index.ts';
import { bytes, guestFrame, machine, on } from './helpers.ts';

const P = PAGE_SIZE;
const UVA = 0x7f00_0000_0000;

/** An anonymous VMA whose fault handler allocates a fresh frame (and counts its calls). */
function anonVma(m: Machine, mm: Mm, start: number, pages: number): Vma & { faults: number } {
  const vma = {
    start,
    end: start + pages * P,
    name: 'anon',
    gupAllowed: true,
    faults: 0,
    fault(_va: number): FaultResult {
      vma.faults++;
      m.ledger.charge('faultAnon');
      const f = m.mem.alloc(HOST, mm.id);
      return { pfn: f.pfn, gen: f.gen };
    },
  };
  mm.addVma(vma);
  return vma;
}

describe('access to a kernel address with no translation', () => {
  it('oopses in hard-IRQ context and records cpu, mode, who and address', () => {
    const m = machine(4);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    const va = m.pageAddress(f.pfn) + 0x10;
    const r = m.access(on(m, 2, 'irq', 'xen-evtchn'), va, 8, 'write');
    expect(r).toEqual({
      ok: false,
      kind: 'oops',
      reason: `unable to handle page fault for address ${formatVa(va)}`,
    });
    expect(m.oopses).toEqual([
      {
        cpu: 2,
        mode: 'irq',
        who: 'xen-evtchn',
        va: formatVa(va),
        op: 'write',
        reason: r.ok ? '' : r.reason,
        atNs: m.ledger.nowNs,
      },
    ]);
    expect(m.oopses[0]!.va).toMatch(/^0xffff888/);
    expect(m.ledger.counters.oopses).toBe(1);
    expect(m.faults).toEqual([]);
  });

  it('oopses in process context too: the kernel has no fault handler for its own addresses', () => {
    const m = machine(1);
    m.cpu(0).current = 'kworker';
    const r = m.access({ cpu: m.cpu(0), mode: 'process' }, VMALLOC_START, 8, 'read');
    expect(r).toMatchObject({ ok: false, kind: 'oops' });
    expect(m.oopses[0]).toMatchObject({ cpu: 0, mode: 'process', who: 'kworker', op: 'read' });
    // An address in no region at all oopses as well.
    expect(m.access(on(m, 0), 0xffff_0000_0000, 8, 'read')).toMatchObject({ ok: false, kind: 'oops' });
    expect(m.ledger.counters.oopses).toBe(2);
  });

  it('oopses on an mm-local address from a CPU running another mm (an IRQ landing there)', () => {
    const m = machine(2);
    const vm = m.createMm('vm');
    const other = m.createMm('other');
    const f = guestFrame(m, vm);
    m.mapLocal(vm, MM_LOCAL_START, f.pfn);
    m.switchMm(m.cpu(0), vm);
    m.switchMm(m.cpu(1), other);
    expect(m.access(on(m, 0, 'irq'), MM_LOCAL_START, 8, 'write').ok).toBe(true);
    expect(m.access(on(m, 1, 'irq'), MM_LOCAL_START, 8, 'write')).toMatchObject({ ok: false, kind: 'oops' });
    expect(m.oopses.map((o) => o.cpu)).toEqual([1]);
  });
});

describe('access to a user address', () => {
  it('fails in atomic and IRQ context without faulting the page in', () => {
    const m = machine(1);
    const mm = m.createMm('vmm');
    const vma = anonVma(m, mm, UVA, 4);
    m.switchMm(m.cpu(0), mm);
    for (const mode of ['atomic', 'irq'] as const) {
      const r = m.access(on(m, 0, mode), UVA + 8, 8, 'read');
      expect(r).toEqual({
        ok: false,
        kind: 'fault',
        reason: `user address ${formatVa(UVA + 8)} not present in ${mode} context`,
      });
    }
    expect(vma.faults).toBe(0);
    expect(mm.userPt.size).toBe(0);
    expect(m.faults.map((f) => [f.cpu, f.mode, f.va])).toEqual([
      [0, 'atomic', formatVa(UVA + 8)],
      [0, 'irq', formatVa(UVA + 8)],
    ]);
    expect(m.ledger.counters.faults).toBe(2);
    expect(m.ledger.counters.oopses).toBe(0);
  });

  it('faults the page in from process context, after which atomic context can use it', () => {
    const m = machine(1);
    const mm = m.createMm('vmm');
    const vma = anonVma(m, mm, UVA, 4);
    m.switchMm(m.cpu(0), mm);
    const w = m.access(on(m, 0), UVA + P + 16, 4, 'write', bytes(1, 2, 3, 4));
    expect(w).toMatchObject({ ok: true, tlbHit: false, stale: false, useAfterFree: false });
    expect(vma.faults).toBe(1);
    expect(m.ledger.byRow.get('faultAnon')).toBe(8000);
    const pte = mm.userPt.get((UVA + P) / P);
    expect(pte).toBeDefined();
    expect(w.ok && w.pfn).toBe(pte!.pfn);
    expect(m.mem.get(pte!.pfn)).toMatchObject({ owner: HOST, ownerMm: mm.id });
    const r = m.access(on(m, 0, 'atomic'), UVA + P + 16, 4, 'read');
    expect(r).toMatchObject({ ok: true, tlbHit: true, data: bytes(1, 2, 3, 4) });
    expect(vma.faults).toBe(1);
    expect(m.ledger.counters.faults).toBe(0);
  });

  it('fails in process context outside every VMA, and when the VMA refuses', () => {
    const m = machine(1);
    const mm = m.createMm('vmm');
    mm.addVma({
      start: UVA,
      end: UVA + P,
      name: 'gmem',
      gupAllowed: false,
      fault: () => ({ error: 'EFAULT', reason: 'no page' }),
    });
    m.switchMm(m.cpu(0), mm);
    expect(m.access(on(m, 0), UVA + 2 * P, 8, 'read')).toMatchObject({
      ok: false,
      kind: 'fault',
      reason: /no user mapping/,
    });
    expect(m.access(on(m, 0), UVA, 8, 'read')).toEqual({ ok: false, kind: 'fault', reason: 'no page' });
    expect(m.ledger.counters.faults).toBe(2);
  });

  it('fails with no mm loaded (a kernel thread that never borrowed one)', () => {
    const m = machine(1);
    expect(m.access(on(m, 0), UVA, 8, 'read')).toMatchObject({ ok: false, kind: 'fault' });
  });
});

describe('access data path', () => {
  it('reads and writes the frame: the vmalloc alias and the direct map see the same bytes', () => {
    const m = machine(2);
    const f = m.mem.alloc(HOST, 0);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    expect(m.access(on(m, 0), va + 100, 3, 'write', bytes(7, 8, 9)).ok).toBe(true);
    const r = m.access(on(m, 1), m.pageAddress(f.pfn) + 100, 3, 'read');
    expect(r).toMatchObject({ ok: true, data: bytes(7, 8, 9), pfn: f.pfn });
    // A write with no data stores zeros.
    m.access(on(m, 0), va + 100, 2, 'write');
    expect(m.mem.read(f, 100, 3)).toEqual(bytes(0, 0, 9));
  });

  it('charges a page walk on a TLB miss and only the access on a hit', () => {
    const m = machine(1);
    const f = m.mem.alloc(HOST, 0);
    m.mapGlobal(VMALLOC_START, f.pfn);
    let c = m.ledger.cycles;
    m.access(on(m, 0), VMALLOC_START, 8, 'read');
    expect(m.ledger.cycles - c).toBe(25 + 4);
    expect(m.ledger.counters.tlbMisses).toBe(1);
    c = m.ledger.cycles;
    m.access(on(m, 0), VMALLOC_START, 8, 'read');
    expect(m.ledger.cycles - c).toBe(0 + 4);
    expect(m.ledger.counters.tlbMisses).toBe(1);
  });

  it('rejects an access that crosses a page boundary or is empty', () => {
    const m = machine(1);
    expect(() => m.access(on(m, 0), VMALLOC_START + P - 4, 8, 'read')).toThrow(ModelUsageError);
    expect(() => m.access(on(m, 0), VMALLOC_START, 0, 'read')).toThrow(/crosses a page/);
  });

  it('lands on whatever the frame holds now through a stale mapping, flagged useAfterFree', () => {
    const m = machine(2);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    m.access(on(m, 0), va, 4, 'write', bytes(0xde, 0xad, 0xbe, 0xef));
    m.mem.putPage(f.pfn);
    // The PTE still maps the freed frame: the old data is still there to read.
    const r = m.access(on(m, 1), va, 4, 'read');
    expect(r).toMatchObject({ ok: true, useAfterFree: true, data: bytes(0xde, 0xad, 0xbe, 0xef) });
    // Reused by another owner: a write through the stale TLB entry corrupts it.
    const g = m.mem.alloc(2, 0, 'secret');
    expect(g.pfn).toBe(f.pfn);
    m.unmapGlobal(va);
    expect(m.access(on(m, 0), va, 2, 'write', bytes(1, 1))).toMatchObject({
      ok: true,
      stale: true,
      useAfterFree: true,
    });
    expect(m.mem.read(g, 0, 4)).toEqual(bytes(1, 1, 0xbe, 0xef));
    expect(m.oracle.figures().useAfterFreeAccesses).toBe(2);
  });

  it('does not call a direct-map access to a reused frame use-after-free: page_address() never goes stale', () => {
    const m = machine(2);
    const f = m.mem.alloc(HOST, 0);
    const va = m.pageAddress(f.pfn);
    m.access(on(m, 0), va, 8, 'write');
    m.mem.putPage(f.pfn);
    const g = m.mem.alloc(3, 0, 'secret');
    expect(g.pfn).toBe(f.pfn);
    // CPU 0 hits the TLB entry cached in the frame's previous life, CPU 1 walks: same answer.
    const hit = m.access(on(m, 0), va, 8, 'write');
    const walk = m.access(on(m, 1), va, 8, 'write');
    expect(hit).toMatchObject({ ok: true, tlbHit: true, useAfterFree: false });
    expect(walk).toMatchObject({ ok: true, tlbHit: false, useAfterFree: false });
    expect(m.oracle.figures().useAfterFreeAccesses).toBe(0);
  });
});
