import { createTestWorld, mapCharged } from '@khva/backend-testkit';
import { lazyMaxPages, PAGE_SIZE, regionOf, VMALLOC_START } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { memremapRelaxedBackend } from '../src/index.ts';

describe('memremap-relaxed (System RAM absent from the direct map goes through ioremap)', () => {
  it('ioremaps an absent page into vmalloc space with the extra work of that path', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapRelaxedBackend.create(m);
    const pfn = w.gmemPfn(1);
    const { result: r, cost } = mapCharged(w, b, pfn);
    expect(r.ok).toBe(true);
    const khva = r.ok ? r.khva : 0;
    expect(regionOf(khva)).toBe('vmalloc');
    expect(khva).toBe(VMALLOC_START);
    const c = (row: Parameters<typeof m.calibration.get>[0]) => m.calibration.get(row);
    // memremap's lookup + ioremap's RAM walk, memtype, VA, PTE; the first PTE also needs tables.
    expect(cost).toEqual({
      regionIntersects: 2 * c('regionIntersects'),
      memtypeReserve: c('memtypeReserve'),
      vmapVaAlloc: c('vmapVaAlloc'),
      ioremapPteSet: c('ioremapPteSet'),
      ptePageAlloc: 3 * c('ptePageAlloc'),
    });
    // A guard page comes with the area.
    expect(m.vmalloc.bytesInUse).toBe(2 * PAGE_SIZE);
    expect(m.ledger.counters.vaBytes).toBe(2 * PAGE_SIZE);
    // Global: reachable from every mm, even from an IRQ on a CPU running another process.
    expect(m.access(w.threads.irq.ctx, khva, 8, 'read')).toMatchObject({ ok: true, pfn });
    expect(m.reachability(pfn).mms).toBe('all');
    expect(m.oracle.exposedFrames()).toContainEqual({ pfn, tag: 'secret', foreign: true });
    expect(b.stats?.()).toMatchObject({ ioremaps: 1, declinedAbsent: 1, ramRefusedWarnings: 0 });
  });

  it('works through a gpc from a vCPU and from a hard IRQ in another mm', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const gpc = w.cache(memremapRelaxedBackend.create(m));
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(3, 0x10), 8))).toBe(0);
    expect(regionOf(gpc.khva)).toBe('vmalloc');
    const data = Uint8Array.of(9, 8, 7, 6, 5, 4, 3, 2);
    expect(w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'write', data })).result).toBe(0);
    const out = w.run('irq', gpcUse(w.threads.irq, gpc, { len: 8, op: 'read', atomic: true }));
    expect(out.result).toBe(0);
    expect(out.access?.ok && out.access.data).toEqual(data);
    expect(m.oopses).toHaveLength(0);
  });

  it('iounmap frees memtype, clears the PTE without a flush and leaves the VA to the lazy purge', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapRelaxedBackend.create(m);
    const gpc = w.cache(b);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(2), 8))).toBe(0);
    const khva = gpc.khva;
    const pfn = gpc.pfn;
    // Touch it from two CPUs so both cache the translation.
    w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
    w.run('irq', gpcUse(w.threads.irq, gpc, { len: 8, op: 'read', atomic: true }));
    const ipis = m.ledger.counters.ipis;
    const cost = w.charged(() => w.run('vcpu', gpc.deactivate(w.threads.vcpu)));
    expect(cost).toEqual({
      memtypeFree: m.calibration.get('memtypeFree'),
      iounmapPage: m.calibration.get('iounmapPage'),
    });
    expect(m.ledger.counters.ipis).toBe(ipis);
    expect(m.kernelPt.get(khva / PAGE_SIZE)).toBeUndefined();
    // Stale translations on both CPUs, and the VA still held: not reusable before the purge.
    const reach = m.reachability(pfn);
    expect(reach.tlb.filter((e) => e.va === khva).map((e) => [e.cpu, e.stale])).toEqual([
      [0, true],
      [1, true],
    ]);
    expect(m.oracle.figures().staleNow).toBe(2);
    expect(m.vmalloc.bytesInUse).toBe(2 * PAGE_SIZE);
    expect(b.stats?.()).toMatchObject({ iounmaps: 1, lazyPages: 2, lazyAreas: 1, purges: 0 });
    // A forced purge: one kernel-range flush, IPIs to every other online CPU, then the VA is free.
    b.purge?.(m.cpu(0));
    expect(m.ledger.counters.ipis - ipis).toBe(3);
    expect(m.oracle.figures().staleNow).toBe(0);
    expect(m.vmalloc.bytesInUse).toBe(0);
    expect(b.stats?.()).toMatchObject({ lazyPages: 0, purges: 1, areasPurged: 1, purgeIpis: 3 });
  });

  it('purges at lazy_max_pages() and not before: 12,289 iounmaps of 2 pages on 4 CPUs', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapRelaxedBackend.create(m);
    const pfn = w.gmemPfn(3);
    const max = lazyMaxPages(4);
    expect(max).toBe(3 * 8192);
    const mc = w.mapContext();
    const cycle = () => {
      const r = b.map(mc, pfn);
      if (!r.ok) throw new Error(r.reason);
      b.unmap(mc, r.khva, pfn);
    };
    const n = max / 2; // each area is two pages (page + guard): this many reach the threshold exactly
    for (let i = 0; i < n; i++) cycle();
    expect(b.stats?.()).toMatchObject({ lazyPages: max, purges: 0 });
    expect(m.vmalloc.bytesInUse).toBe(n * 2 * PAGE_SIZE);
    const flushes = m.ledger.counters.tlbFlushesGlobal;
    cycle(); // one page over: the purge runs
    expect(b.stats?.()).toMatchObject({ lazyPages: 0, purges: 1, areasPurged: n + 1, purgeIpis: 3 });
    expect(m.ledger.counters.tlbFlushesGlobal - flushes).toBe(1);
    expect(m.vmalloc.bytesInUse).toBe(0);
  });

  it('the threshold moves with the CPU count: fls(cpus) x 32 MiB of pages', () => {
    expect([1, 2, 4, 8, 64, 256].map(lazyMaxPages)).toEqual([8192, 16384, 24576, 32768, 57344, 73728]);
    // A 2-CPU machine purges after 8,193 two-page areas, with one IPI.
    const w = createTestWorld({ cpus: 2 });
    const m = w.kvm.machine;
    const b = memremapRelaxedBackend.create(m);
    const pfn = w.gmemPfn(0);
    const mc = w.mapContext();
    for (let i = 0; i < 8193; i++) {
      const r = b.map(mc, pfn);
      if (r.ok) b.unmap(mc, r.khva, pfn);
    }
    expect(b.stats?.()).toMatchObject({ purges: 1, areasPurged: 8193, purgeIpis: 1 });
  });

  it('nonLazyIounmap purges on every iounmap, with a kernel-range flush to every CPU', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapRelaxedBackend.create(m, { nonLazyIounmap: true });
    const pfn = w.gmemPfn(4);
    const mc = w.mapContext();
    const ipis = m.ledger.counters.ipis;
    for (let i = 0; i < 3; i++) {
      const r = b.map(mc, pfn);
      if (r.ok) b.unmap(mc, r.khva, pfn);
    }
    expect(b.stats?.()).toMatchObject({ purges: 3, lazyPages: 0 });
    expect(m.ledger.counters.ipis - ipis).toBe(9);
    expect(m.vmalloc.bytesInUse).toBe(0);
  });

  it('iounmap of an address it did not map is reported, not acted on', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapRelaxedBackend.create(m);
    b.unmap(w.mapContext(), VMALLOC_START + 64 * PAGE_SIZE, 0);
    expect(b.stats?.()).toMatchObject({ badIounmaps: 1, iounmaps: 0 });
  });

  it('has the traits of a global, lazily flushed mapping that never refuses RAM', () => {
    expect(memremapRelaxedBackend.traits).toEqual({
      kind: 'global',
      usableFromIrq: true,
      usableFromForeignMm: true,
      mayRefuseRam: false,
      needsReachGuard: false,
      lazyFlush: true,
    });
  });
});
