import type { MapContext, MappingBackend } from '@khva/backend-api';
import { createTestWorld, type TestWorld } from '@khva/backend-testkit';
import {
  Machine,
  ModelUsageError,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  runAlone,
  VMALLOC_SIZE,
} from '@khva/memory-core';
import { GfnToPfnCache } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { fls, lazyMaxPages, vmapBackend } from '../src/index.ts';

function mapOk(w: TestWorld, b: MappingBackend, pfn: Pfn): number {
  const r = b.map(w.mapContext('vcpu'), pfn);
  if (!r.ok) throw new Error(`map failed: ${r.errno} ${r.reason}`);
  return r.khva;
}

/** map + unmap the same no-direct-map page n times; returns after the n-th unmap. */
/** Map and unmap the page n times from one context (each unmap leaves its area lazy). */
function mapUnmap(mc: MapContext, b: MappingBackend, pfn: Pfn, n: number): void {
  for (let i = 0; i < n; i++) {
    const r = b.map(mc, pfn);
    if (!r.ok) throw new Error('map failed');
    b.unmap(mc, r.khva, pfn);
  }
}

/** mapUnmap from the world's vCPU. */
const churn = (w: TestWorld, b: MappingBackend, pfn: Pfn, n: number) =>
  mapUnmap(w.mapContext('vcpu'), b, pfn, n);

const stats = (b: MappingBackend) => b.stats?.() ?? {};

describe('vmap: the per-page policy', () => {
  it('a page in the direct map gets page_address(): no VA, no PTE, no cost, nothing lazy on unmap', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = vmapBackend.create(w.machine);
    const pfn = w.anonPfn(0);
    const before = w.snapshot();
    const cycles = w.machine.ledger.cycles;
    const khva = mapOk(w, b, pfn);
    expect(khva).toBe(w.machine.pageAddress(pfn));
    b.unmap(w.mapContext('vcpu'), khva, pfn);
    expect(w.machine.ledger.cycles).toBe(cycles);
    expect(w.snapshot()).toEqual(before);
    expect(stats(b)).toMatchObject({ pageAddressMaps: 1, areasMapped: 0, lazyPages: 0 });
  });

  it('a no-direct-map page gets vmap(): a vmalloc address, VA for the page and its guard, one PTE, charged by row', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = vmapBackend.create(w.machine);
    const pfn = w.gmemPfn(0);
    const m = w.machine;
    const before = w.snapshot();
    const rows = new Map(m.ledger.byRow);
    const khva = mapOk(w, b, pfn);
    expect(regionOf(khva)).toBe('vmalloc');
    expect(m.vmalloc.bytesInUse - before.vmallocBytes).toBe(2 * PAGE_SIZE);
    expect(w.ptesAt(khva)).toEqual([{ scope: 'global', pfn }]);
    // The guard page has no PTE: running off the end of the page oopses.
    expect(w.ptesAt(khva + PAGE_SIZE)).toEqual([]);
    expect(w.access('vcpu', khva + PAGE_SIZE)).toMatchObject({ ok: false, kind: 'oops' });
    const charged = (row: string) => (m.ledger.byRow.get(row) ?? 0) - (rows.get(row) ?? 0);
    expect(charged('vmapVaAlloc')).toBe(m.calibration.get('vmapVaAlloc'));
    expect(charged('vmapPteSet')).toBe(m.calibration.get('vmapPteSet'));
    // First use of the vmalloc range: PTE, PMD and PUD table pages, counted by memory-core.
    expect(charged('ptePageAlloc')).toBe(3 * m.calibration.get('ptePageAlloc'));
    expect(stats(b)).toMatchObject({ areasMapped: 1, areasLive: 1, pageAddressMaps: 0 });
    b.unmap(w.mapContext('vcpu'), khva, pfn);
    expect(charged('vunmapPage')).toBe(m.calibration.get('vunmapPage'));
    expect(stats(b)).toMatchObject({ areasLive: 0, areasLazy: 1, lazyPages: 2, purges: 0 });
  });

  it('the khva is reachable from an unrelated process and an IRQ in its mm: foreign exposure in the oracle', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = vmapBackend.create(w.machine);
    const pfn = w.gmemPfn(0);
    const o = w.machine.oracle;
    expect(o.figures().foreignExposedNow).toBe(0);
    const khva = mapOk(w, b, pfn);
    // A global PTE: every mm reaches the secret guest page from the moment it is mapped.
    expect(o.figures()).toMatchObject({ exposedNow: 1, foreignExposedNow: 1 });
    expect(o.exposedFrames()).toEqual([{ pfn, tag: 'secret', foreign: true }]);
    expect(w.machine.reachability(pfn).mms).toBe('all');
    expect(w.access('other', khva)).toMatchObject({ ok: true, pfn });
    expect(w.access('irq', khva)).toMatchObject({ ok: true, pfn });
    const t0 = o.figures().foreignExposurePageNs;
    w.machine.ledger.charge('memslotUpdate'); // let simulated time pass
    expect(o.figures().foreignExposurePageNs).toBeGreaterThan(t0);
  });
});

describe('vmap: lazy vunmap and the purge', () => {
  it('purges on the unmap that pushes the lazy count past the threshold, not before (override 10)', () => {
    const w = createTestWorld({ cpus: 2 });
    const b = vmapBackend.create(w.machine, { lazyMaxPagesOverride: 10 });
    const pfn = w.gmemPfn(0);
    const base = w.machine.vmalloc.bytesInUse;
    churn(w, b, pfn, 5);
    // 5 areas x (page + guard) = 10 pages: not more than 10, so still lazy; VA not reusable yet.
    expect(stats(b)).toMatchObject({ lazyPages: 10, purges: 0, areasLazy: 5 });
    expect(w.machine.vmalloc.bytesInUse - base).toBe(10 * PAGE_SIZE);
    churn(w, b, pfn, 1);
    expect(stats(b)).toMatchObject({
      lazyPages: 0,
      purges: 1,
      areasLazy: 0,
      lastPurgeAreas: 6,
      lastPurgePages: 12,
    });
    expect(w.machine.vmalloc.bytesInUse).toBe(base);
  });

  it('at the real threshold with 2 CPUs: fls(2) = 2 -> 16,384 lazy pages; the 8,193rd vunmap purges once, as a full flush', () => {
    const w = createTestWorld({ cpus: 2 });
    const b = vmapBackend.create(w.machine);
    expect(stats(b).lazyMaxPages).toBe(16_384);
    const pfn = w.gmemPfn(0);
    const c = w.machine.ledger.counters;
    const flushes = c.tlbFlushesGlobal;
    churn(w, b, pfn, 8192);
    expect(stats(b)).toMatchObject({ lazyPages: 16_384, purges: 0, areasLazy: 8192 });
    expect(c.tlbFlushesGlobal).toBe(flushes);
    expect(w.machine.vmalloc.bytesInUse).toBe(8192 * 2 * PAGE_SIZE);
    churn(w, b, pfn, 1);
    expect(stats(b)).toMatchObject({ lazyPages: 0, purges: 1, lastPurgeAreas: 8193, lastPurgeFullFlush: 1 });
    expect(c.tlbFlushesGlobal).toBe(flushes + 1);
    expect(w.machine.vmalloc.bytesInUse).toBe(0);
  });

  it.each([
    [1, 1, 8_192],
    [2, 2, 16_384],
    [4, 3, 24_576],
    [8, 4, 32_768],
    [64, 7, 57_344],
  ])(
    'the threshold moves with the CPU count: %i CPUs -> fls %i -> %i pages, purge on the area that passes it',
    (cpus, f, pages) => {
      expect(fls(cpus)).toBe(f);
      expect(lazyMaxPages(cpus)).toBe(pages);
      const m = new Machine({ cpus });
      const b = vmapBackend.create(m);
      expect(b.stats?.().lazyMaxPages).toBe(pages);
      // Drive the real threshold: areas are 2 pages, so the purge comes with area pages/2 + 1.
      const frame = m.mem.alloc(1, 1, 'secret');
      frame.noDirectMap = true;
      m.removeFromDirectMap(frame.pfn);
      const mc = { machine: m, vm: {} as never, ctx: { cpu: m.cpu(0), mode: 'process' as const } };
      mapUnmap(mc, b, frame.pfn, pages / 2);
      expect(b.stats?.()).toMatchObject({ purges: 0, lazyPages: pages });
      mapUnmap(mc, b, frame.pfn, 1);
      expect(b.stats?.()).toMatchObject({ purges: 1, lazyPages: 0, lastPurgeAreas: pages / 2 + 1 });
    },
  );

  it('a purge is exactly one flush_tlb_kernel_range with IPIs to every other online CPU', () => {
    for (const cpus of [2, 4, 8]) {
      const w = createTestWorld({ cpus });
      const b = vmapBackend.create(w.machine, { lazyMaxPagesOverride: 4 });
      const pfn = w.gmemPfn(0);
      churn(w, b, pfn, 2);
      const c = w.machine.ledger.counters;
      const before = { flushes: c.tlbFlushesGlobal, ipis: c.ipis, local: c.tlbFlushesLocal };
      churn(w, b, pfn, 1);
      expect(stats(b)).toMatchObject({
        purges: 1,
        lastPurgeAreas: 3,
        lastPurgePages: 6,
        lastPurgeFullFlush: 0,
      });
      expect(c.tlbFlushesGlobal - before.flushes).toBe(1);
      expect(c.ipis - before.ipis).toBe(cpus - 1);
      expect(c.tlbFlushesLocal).toBe(before.local);
    }
  });

  it('a purge spanning more than 33 pages becomes a full flush on every CPU (the TLB loses everything)', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = vmapBackend.create(w.machine, { lazyMaxPagesOverride: 40 });
    const pfn = w.gmemPfn(0);
    // A direct-map translation cached on CPU 1 before the purge: a full flush drops it too.
    const anon = w.machine.pageAddress(w.anonPfn(0));
    w.access('irq', anon);
    expect(w.machine.translate(w.machine.cpu(1), anon)?.via).toBe('tlb');
    churn(w, b, pfn, 21);
    expect(stats(b)).toMatchObject({
      purges: 1,
      lastPurgeAreas: 21,
      lastPurgePages: 42,
      lastPurgeFullFlush: 1,
    });
    expect(w.machine.translate(w.machine.cpu(1), anon)?.via).toBe('pte');
  });

  it('until the purge another CPU keeps a stale translation of the vunmapped address; the oracle sees it', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = vmapBackend.create(w.machine);
    const m = w.machine;
    const pfn = w.gmemPfn(0);
    const khva = mapOk(w, b, pfn);
    expect(w.access('irq', khva)).toMatchObject({ ok: true, stale: false });
    b.unmap(w.mapContext('vcpu'), khva, pfn);
    expect(w.ptesAt(khva)).toEqual([]);
    // CPU 1 (the unrelated process, and its IRQs) still translates through its TLB.
    expect(m.translate(m.cpu(1), khva)).toMatchObject({ pfn, via: 'tlb', stale: true });
    expect(w.access('other', khva)).toMatchObject({ ok: true, pfn, stale: true });
    // CPU 0 never cached it: no PTE, no TLB entry, an oops.
    expect(m.translate(m.cpu(0), khva)).toBeNull();
    expect(m.oracle.figures()).toMatchObject({ staleNow: 1, exposedNow: 1, foreignExposedNow: 1 });
    expect(b.reachable(w.enter('irq'), w.vm, khva)).toBe(true);
    const s0 = m.oracle.figures().staleTranslationNs;
    m.ledger.charge('memslotUpdate');
    expect(m.oracle.figures().staleTranslationNs).toBeGreaterThan(s0);
    b.purge?.(m.cpu(0));
    expect(m.translate(m.cpu(1), khva)).toBeNull();
    expect(m.oracle.figures()).toMatchObject({ staleNow: 0, exposedNow: 0, foreignExposedNow: 0 });
  });

  it('a page freed while a stale vmap translation survives opens a use-after-free window until the purge', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = vmapBackend.create(w.machine);
    const m = w.machine;
    const pfn = w.gmemPfn(0);
    const khva = mapOk(w, b, pfn);
    w.access('irq', khva);
    b.unmap(w.mapContext('vcpu'), khva, pfn);
    const file = w.gmemSlot.gmem;
    if (!file) throw new Error('no gmem file');
    w.enter('vmm');
    expect(runAlone(file.punchHole(w.threads.vmm, 0, 1))).toBe(0);
    // The frame goes to someone else; the stale entry on CPU 1 now reaches the new owner's data.
    const reused = m.mem.alloc(0, 0, 'none');
    expect(reused.pfn).toBe(pfn);
    expect(m.oracle.figures().useAfterFreeWindows).toBe(1);
    expect(w.access('irq', khva)).toMatchObject({ ok: true, stale: true, useAfterFree: true });
    b.purge?.(m.cpu(0));
    expect(w.access('irq', khva)).toMatchObject({ ok: false, kind: 'oops' });
  });
});

describe('vmap: address space', () => {
  it('VA grows by 2 pages per cached page: 1,024 caches take 8 MiB of vmalloc (the series counts 4 MiB: no guard)', () => {
    const w = createTestWorld({ cpus: 4, slotPages: 1024 });
    const b = vmapBackend.create(w.machine);
    const m = w.machine;
    // Hand the pages out first: their removal from the direct map splits leaves (table pages too).
    const pfns = Array.from({ length: 1024 }, (_, i) => w.gmemPfn(i));
    const base = m.vmalloc.bytesInUse;
    const tables = m.ledger.counters.pageTablePages;
    const mapped: Array<[number, Pfn]> = [];
    for (const [i, pfn] of pfns.entries()) {
      mapped.push([mapOk(w, b, pfn), pfn]);
      expect(m.vmalloc.bytesInUse - base).toBe((i + 1) * 2 * PAGE_SIZE);
    }
    expect(m.vmalloc.bytesInUse - base).toBe(8 * 2 ** 20);
    expect(m.kernelPt.size).toBe(1024);
    // 2,048 pages of VA span 4 PTE pages + 1 PMD page + 1 PUD page.
    expect(m.ledger.counters.pageTablePages - tables).toBe(6);
    expect(m.kernelPt.tablePages).toBe(6);
    for (const [khva, pfn] of mapped) b.unmap(w.mapContext('vcpu'), khva, pfn);
    // Lazily freed (2,048 pages < 24,576 for 4 CPUs): the VA stays until a purge.
    expect(m.vmalloc.bytesInUse - base).toBe(8 * 2 ** 20);
    b.purge?.(m.cpu(0));
    expect(m.vmalloc.bytesInUse).toBe(base);
  });

  it('through the gpc: each active cache on a no-direct-map page holds 8 KiB of vmalloc; deactivation leaves it lazy', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = vmapBackend.create(w.machine);
    const vcpu = w.threads.vcpu;
    const caches = Array.from({ length: 16 }, (_, i) => new GfnToPfnCache(w.vm, b, `pvclock${i}`));
    for (const [i, g] of caches.entries()) expect(w.run(vcpu, g.activate(vcpu, w.gmemGpa(i), 32))).toBe(0);
    expect(w.machine.vmalloc.bytesInUse).toBe(16 * 2 * PAGE_SIZE);
    for (const g of caches) w.run(vcpu, g.deactivate(vcpu));
    expect(stats(b)).toMatchObject({
      areasMapped: 16,
      areasLive: 0,
      areasLazy: 16,
      lazyPages: 32,
      purges: 0,
    });
    expect(w.machine.vmalloc.bytesInUse).toBe(16 * 2 * PAGE_SIZE);
  });

  it('when vmalloc space runs out, vmap purges the lazy areas and retries once, then reports ENOMEM', () => {
    const w = createTestWorld({ cpus: 2 });
    const b = vmapBackend.create(w.machine);
    const m = w.machine;
    m.vmalloc.alloc(VMALLOC_SIZE - 4 * PAGE_SIZE);
    const pfn = w.gmemPfn(0);
    const a = mapOk(w, b, pfn);
    mapOk(w, b, pfn);
    b.unmap(w.mapContext('vcpu'), a, pfn);
    expect(mapOk(w, b, pfn)).toBe(a);
    expect(stats(b)).toMatchObject({ purges: 1 });
    const r = b.map(w.mapContext('vcpu'), pfn);
    expect(r).toMatchObject({ ok: false, errno: 'ENOMEM' });
    expect(stats(b)).toMatchObject({ mapFailures: 1 });
  });

  it('rejects a bad override and a vunmap of an address it never mapped', () => {
    const w = createTestWorld({ cpus: 2 });
    expect(() => vmapBackend.create(w.machine, { lazyMaxPagesOverride: -1 })).toThrow(ModelUsageError);
    const b = vmapBackend.create(w.machine);
    const pfn = w.gmemPfn(0);
    const khva = mapOk(w, b, pfn);
    expect(() => b.unmap(w.mapContext('vcpu'), khva + 2 * PAGE_SIZE, pfn)).toThrow(ModelUsageError);
  });
});
