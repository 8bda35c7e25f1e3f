import { FREE, HOST, runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { addGmemSlot, enter, gmemSlot, HVA_GMEM, handOut, on, setup } from './helpers.ts';

const NDM = { mmap: false, noDirectMap: true } as const;

describe('guest_memfd NO_DIRECT_MAP: removal from the direct map on first hand-out', () => {
  it('a freshly allocated folio is in the direct map, with or without NO_DIRECT_MAP', () => {
    for (const noDirectMap of [false, true]) {
      const s = setup();
      const { file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap }));
      expect(file.allocate(0, 2)).toBe(0);
      const pfn = file.folios.get(0)!;
      const frame = s.m.mem.get(pfn)!;
      expect(frame).toMatchObject({ owner: s.vm.id, ownerMm: s.vm.mm.id, tag: 'secret', noDirectMap });
      expect(s.m.directMap.isPresent(pfn)).toBe(true);
      expect(s.m.directMap.absentPages).toBe(0);
      // The oracle sees both secret pages reachable (through the direct map) from every mm.
      expect(s.m.oracle.figures()).toMatchObject({ exposedNow: 2, foreignExposedNow: 2 });
      expect(s.m.access(on(s.m, 1), s.m.pageAddress(pfn), 8, 'read')).toMatchObject({
        ok: true,
        stale: false,
      });
      expect(s.m.ledger.counters.directMapSplits).toBe(0);
    }
  });

  it('without NO_DIRECT_MAP, handing a folio out leaves it in the direct map', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: false }));
    const pfn = handOut(s, slot, 0x100);
    expect(file.folios.get(0)).toBe(pfn);
    expect(file.zapped.size).toBe(0);
    expect(s.m.directMap.isPresent(pfn)).toBe(true);
    expect(s.m.access(on(s.m, 2, 'irq'), s.m.pageAddress(pfn), 8, 'read').ok).toBe(true);
  });

  it('the first kvm_gmem_get_pfn removes it: page_address() then oopses from any CPU and context', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot(NDM));
    file.allocate(3, 1);
    const pfn = file.folios.get(3)!;
    expect(s.m.directMap.isPresent(pfn)).toBe(true);
    expect(handOut(s, slot, 0x103)).toBe(pfn);
    expect(s.m.directMap.isPresent(pfn)).toBe(false);
    expect(file.zapped.has(3)).toBe(true);
    const va = s.m.pageAddress(pfn);
    expect(s.m.translate(s.m.cpu(2), va)).toBeNull();
    for (const mode of ['process', 'atomic', 'irq'] as const) {
      expect(s.m.access(on(s.m, 2, mode), va, 8, 'write')).toMatchObject({ ok: false, kind: 'oops' });
    }
    expect(s.m.oopses).toHaveLength(3);
    expect(s.m.oopses[0]).toMatchObject({ cpu: 2, mode: 'process', op: 'write' });
    expect(s.m.oracle.figures()).toMatchObject({ exposedNow: 0, staleNow: 0 });
  });

  it('removal happens once per folio life: later hand-outs charge no removal and no flush', () => {
    const s = setup();
    const { slot } = addGmemSlot(s, gmemSlot(NDM));
    const pfn = handOut(s, slot, 0x100);
    const invalidCycles = s.m.ledger.byRow.get('setDirectMapInvalid');
    const flushes = s.m.ledger.counters.tlbFlushesGlobal;
    expect(flushes).toBe(1);
    expect(handOut(s, slot, 0x100, 3)).toBe(pfn);
    expect(s.m.ledger.byRow.get('setDirectMapInvalid')).toBe(invalidCycles);
    expect(s.m.ledger.counters.tlbFlushesGlobal).toBe(flushes);
  });

  it('without preallocation, the folio is allocated and then removed within the same hand-out', () => {
    const s = setup();
    const { slot } = addGmemSlot(s, gmemSlot(NDM));
    s.vm.events = [];
    const pfn = handOut(s, slot, 0x105);
    expect(s.vm.events).toEqual([
      `gmem0: alloc index 5 -> pfn ${pfn}`,
      `gmem0: pfn ${pfn} removed from the direct map (flushed)`,
    ]);
  });

  it('a VMM fault on the MMAP mapping of the file removes the folio too', () => {
    const s = setup();
    const { file } = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: true }));
    enter(s);
    const r = s.m.access(on(s.m, 0), HVA_GMEM + 2 * 4096 + 8, 8, 'write', new Uint8Array(8).fill(7));
    expect(r.ok).toBe(true);
    const pfn = file.folios.get(2)!;
    expect(r).toMatchObject({ pfn });
    expect(s.m.directMap.isPresent(pfn)).toBe(false);
    expect(s.m.mem.read(s.m.mem.get(pfn)!, 8, 2)).toEqual(new Uint8Array([7, 7]));
  });

  it('flushOnZap on (upstream): the kernel-range flush drops other CPUs’ entries, with IPIs', () => {
    const s = setup({ flushOnZap: true });
    const { slot, file } = addGmemSlot(s, gmemSlot(NDM));
    file.allocate(0, 1);
    const pfn = file.folios.get(0)!;
    const va = s.m.pageAddress(pfn);
    for (const cpu of [1, 2]) expect(s.m.access(on(s.m, cpu), va, 8, 'read').ok).toBe(true);
    const c0 = { ...s.m.ledger.counters };
    handOut(s, slot, 0x100, 0);
    const c = s.m.ledger.counters;
    expect(c.tlbFlushesGlobal - c0.tlbFlushesGlobal).toBe(1);
    expect(c.ipis - c0.ipis).toBe(3);
    expect(s.m.oracle.figures()).toMatchObject({ staleNow: 0, exposedNow: 0, foreignExposedNow: 0 });
    for (const cpu of [1, 2]) {
      expect(s.m.cpu(cpu).tlb.lookup(0, va / 4096)).toBeUndefined();
      expect(s.m.access(on(s.m, cpu), va, 8, 'read')).toMatchObject({ ok: false, kind: 'oops' });
    }
  });

  it('flushOnZap off (deployed variant): a CPU that touched the page keeps a stale translation', () => {
    const s = setup({ flushOnZap: false });
    const { slot, file } = addGmemSlot(s, gmemSlot(NDM));
    file.allocate(0, 1);
    const pfn = file.folios.get(0)!;
    const va = s.m.pageAddress(pfn);
    // The guest's secret, written before the page is handed out; CPU 1 caches the translation.
    expect(s.m.access(on(s.m, 1), va, 4, 'write', new Uint8Array([0xde, 0xad, 0xbe, 0xef])).ok).toBe(true);
    const c0 = { ...s.m.ledger.counters };
    handOut(s, slot, 0x100, 0);
    expect(s.m.directMap.isPresent(pfn)).toBe(false);
    expect(s.m.ledger.counters.tlbFlushesGlobal).toBe(c0.tlbFlushesGlobal);
    expect(s.m.ledger.counters.ipis).toBe(c0.ipis);
    const f0 = s.m.oracle.figures();
    expect(f0).toMatchObject({ staleNow: 1, exposedNow: 1, foreignExposedNow: 1 });
    // CPU 1 still reads the secret through its stale entry; CPU 2, which never touched it, oopses.
    const r = s.m.access(on(s.m, 1, 'irq'), va, 4, 'read');
    expect(r).toMatchObject({ ok: true, stale: true, tlbHit: true, pfn, useAfterFree: false });
    expect(r.ok && r.data).toEqual(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    expect(s.m.access(on(s.m, 2), va, 4, 'read')).toMatchObject({ ok: false, kind: 'oops' });
    // Exposure from foreign mms accrues while the stale entry lives.
    s.m.ledger.charge('memslotUpdate');
    const f1 = s.m.oracle.figures();
    expect(f1.foreignExposurePageNs).toBeGreaterThan(f0.foreignExposurePageNs);
    expect(f1.staleTranslationNs).toBeGreaterThan(f0.staleTranslationNs);
    // A local flush on CPU 1 ends it.
    s.m.flushLocalPage(s.m.cpu(1), va);
    expect(s.m.oracle.figures()).toMatchObject({ staleNow: 0, exposedNow: 0 });
  });

  it('a free frame reused by guest_memfd inherits a stale direct-map entry when the zap does not flush', () => {
    const s = setup({ flushOnZap: false });
    const { slot } = addGmemSlot(s, gmemSlot(NDM));
    // A host page that CPU 3 touched, then freed: the allocator hands it out next (LIFO).
    const host = s.m.mem.alloc(HOST, 0);
    const va = s.m.pageAddress(host.pfn);
    expect(s.m.access(on(s.m, 3), va, 8, 'read').ok).toBe(true);
    s.m.mem.putPage(host.pfn);
    const pfn = handOut(s, slot, 0x100);
    expect(pfn).toBe(host.pfn);
    // CPU 3's old entry, and the entry the handing-out CPU made when it zeroed the new folio.
    expect(s.m.oracle.figures().staleNow).toBe(2);
    expect(s.m.access(on(s.m, 3), va, 8, 'read')).toMatchObject({ ok: true, stale: true });
  });

  it('freed by punch-hole: restored to the direct map without a flush, the alias translates again', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot(NDM));
    const pfn = handOut(s, slot, 0x101);
    expect(s.m.directMap.isPresent(pfn)).toBe(false);
    const c0 = { ...s.m.ledger.counters };
    expect(runAlone(file.punchHole(s.vmm, 1, 1))).toBe(0);
    expect(s.m.ledger.counters.tlbFlushesGlobal).toBe(c0.tlbFlushesGlobal);
    expect(s.m.ledger.counters.ipis).toBe(c0.ipis);
    expect(s.m.ledger.byRow.get('setDirectMapDefault')).toBeGreaterThan(0);
    expect(file.folios.has(1)).toBe(false);
    expect(file.zapped.has(1)).toBe(false);
    expect(s.m.mem.get(pfn)).toMatchObject({ owner: FREE, noDirectMap: false });
    expect(s.m.directMap.isPresent(pfn)).toBe(true);
    expect(s.m.access(on(s.m, 2), s.m.pageAddress(pfn), 8, 'read')).toMatchObject({
      ok: true,
      stale: false,
      useAfterFree: true, // a free frame: the model flags any access to it
    });
    // The next hand-out of that index allocates a new folio (the same frame, LIFO) and removes it again.
    expect(handOut(s, slot, 0x101)).toBe(pfn);
    expect(s.m.directMap.isPresent(pfn)).toBe(false);
  });

  it('a handed-out folio reads as zeroes even when its frame held someone else’s data', () => {
    const s = setup();
    const { slot } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: false }));
    const host = s.m.mem.alloc(HOST, 0);
    s.m.mem.write(host, 0, new Uint8Array([1, 2, 3, 4]));
    s.m.mem.putPage(host.pfn);
    const pfn = handOut(s, slot, 0x100);
    expect(pfn).toBe(host.pfn);
    const r = s.m.access(on(s.m, 1), s.m.pageAddress(pfn), 4, 'read');
    expect(r.ok && r.data).toEqual(new Uint8Array(4));
  });

  it('errors: an index beyond the file or a released file is EFAULT, a bad fallocate EINVAL', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot(NDM));
    expect(s.vm.gmemGetPfn(on(s.m, 0), slot, 0x100 + 16)).toMatchObject({ errno: 'EFAULT' });
    expect(file.allocate(15, 2)).toMatchObject({ errno: 'EINVAL' });
    runAlone(file.release(s.vmm));
    expect(s.vm.gmemGetPfn(on(s.m, 0), slot, 0x100)).toMatchObject({ errno: 'EFAULT' });
    expect(file.allocate(0, 1)).toMatchObject({ errno: 'EFAULT' });
  });
});
