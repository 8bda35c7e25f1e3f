import { BackendRegistry } from '@khva/backend-api';
import { createTestWorld } from '@khva/backend-testkit';
import { MM_LOCAL_SIZE, MM_LOCAL_START, PAGE_SIZE, runAlone, vpnOf } from '@khva/memory-core';
import { gpcUse, NULL_KHVA } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import {
  EphmapBackend,
  ephmapBackend,
  MERMAP_BASE,
  MERMAP_SLICE_PAGES,
  MERMAP_USABLE_PAGES,
  mermapSliceBase,
} from '../src/index.ts';

/** A world with an ephmap-backed cache activated on gmem page 1 (offset 0x10) by the vCPU. */
function activated(kernel: { reachGuard?: boolean } = {}) {
  const w = createTestWorld({ cpus: 4, kernel });
  const b = ephmapBackend.create(w.kvm.machine) as EphmapBackend;
  const gpc = w.cache(b);
  expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1, 0x10), 8))).toBe(0);
  return { w, m: w.kvm.machine, b, gpc };
}

describe('ephmap (mermap): no cached khva, map per access in the current CPU slice', () => {
  it('lays slices out in the upper half of the mm-local region, 512 pages per CPU, last page reserved', () => {
    expect(MERMAP_BASE).toBe(MM_LOCAL_START + MM_LOCAL_SIZE / 2);
    expect(MERMAP_SLICE_PAGES).toBe(512);
    expect(MERMAP_USABLE_PAGES).toBe(511);
    expect(mermapSliceBase(3) - mermapSliceBase(2)).toBe(2 * 2 ** 20);
  });

  it('the gpc caches no khva; refresh prepares the mm once, allocating the slices page tables', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = ephmapBackend.create(m) as EphmapBackend;
    const gpc = w.cache(b);
    expect(w.vm.mm.localPt.tablePages).toBe(0);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1), 8))).toBe(0);
    expect(gpc.valid).toBe(true);
    expect(gpc.khva).toBe(NULL_KHVA);
    expect(gpc.counters.mapCalls).toBe(0);
    expect(b.isPrepared(w.vm.mm)).toBe(true);
    // 4 slices of 2 MiB: 4 PTE pages + 1 PMD page + 1 PUD page, and no leaf PTE left behind.
    expect(w.vm.mm.localPt.tablePages).toBe(6);
    expect(w.vm.mm.localPt.size).toBe(0);
    // Idempotent: a second prepare (another cache, same mm) allocates nothing.
    const again = w.charged(() => b.prepare?.(w.mapContext()));
    expect(again).toEqual({});
    expect(b.stats?.()).toMatchObject({ preparedMms: 1, prepareCalls: 2, unexpectedMapCalls: 0 });
  });

  it('maps per access and leaves no PTE between accesses; the stale TLB entry stays on that CPU only', () => {
    const { w, m, b, gpc } = activated();
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const wrote = w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'write', data }));
    expect(wrote.result).toBe(0);
    expect(wrote.access).toMatchObject({ ok: true, pfn: gpc.pfn });
    const read = w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
    expect(read.access?.ok && read.access.data).toEqual(data);
    // Two accesses, two consecutive pages of cpu 0's slice; both unmapped again.
    expect(b.sliceUsed(w.vm.mm, 0)).toBe(2);
    expect(w.vm.mm.localPt.size).toBe(0);
    const reach = m.reachability(gpc.pfn);
    expect(reach.ptes).toEqual([]);
    expect(reach.tlb).toEqual([
      { cpu: 0, scope: w.vm.mm.id, va: mermapSliceBase(0), stale: true },
      { cpu: 0, scope: w.vm.mm.id, va: mermapSliceBase(0) + PAGE_SIZE, stale: true },
    ]);
    expect(reach.mms).toEqual([w.vm.mm.id]);
    expect(m.oracle.figures().foreignExposedNow).toBe(0);
  });

  it('costs mermapGet + mermapPut + the access (a TLB miss) per access, and nothing else', () => {
    const { w, m, gpc } = activated();
    w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
    const cost = w.charged(() => w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' })));
    const c = (row: Parameters<typeof m.calibration.get>[0]) => m.calibration.get(row);
    expect(cost).toEqual({
      gpcCheck: c('gpcCheck'),
      mermapGet: c('mermapGet'),
      mermapPut: c('mermapPut'),
      pageWalk: c('pageWalk'),
      cacheAccess: c('cacheAccess'),
    });
  });

  it('flushes the local CPU before reusing its slice: once every 511 accesses, never an IPI', () => {
    const { w, m, b, gpc } = activated();
    const cpu0 = m.cpu(0);
    const before = { ...m.ledger.counters };
    for (let i = 0; i < MERMAP_USABLE_PAGES; i++)
      w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
    // The slice is used up: 511 stale entries on cpu 0 (the CPU's own, pointing at this VM's page).
    const inSlice = () => [...cpu0.tlb.entries.values()].filter((e) => e.asid === w.vm.mm.id).length;
    expect(inSlice()).toBe(MERMAP_USABLE_PAGES);
    expect(b.stats?.()).toMatchObject({ sliceFlushes: 0 });
    w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
    expect(b.stats?.()).toMatchObject({ sliceFlushes: 1 });
    expect(b.sliceUsed(w.vm.mm, 0)).toBe(1);
    expect(inSlice()).toBe(1);
    expect(m.ledger.counters.tlbFlushesLocal - before.tlbFlushesLocal).toBe(1);
    expect(m.ledger.counters.ipis - before.ipis).toBe(0);
    expect(m.ledger.counters.tlbFlushesGlobal - before.tlbFlushesGlobal).toBe(0);
    expect(m.ledger.counters.tlbFlushesMm - before.tlbFlushesMm).toBe(0);
  });

  it('sends zero IPIs over 10,000 accesses from two CPUs, and exposes the page to no other mm', () => {
    const { w, m, b, gpc } = activated();
    const ipis = m.ledger.counters.ipis;
    for (let i = 0; i < 5000; i++) {
      w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
      w.run('vmm', gpcUse(w.threads.vmm, gpc, { len: 8, op: 'read' }));
    }
    expect(m.ledger.counters.ipis - ipis).toBe(0);
    expect(b.stats?.()).toMatchObject({
      mapped: 10_000,
      sliceFlushes: 2 * Math.floor(4999 / MERMAP_USABLE_PAGES),
    });
    expect(gpc.counters.wouldBlock).toBe(0);
    expect(m.oopses).toHaveLength(0);
    expect(m.reachability(gpc.pfn).mms).toEqual([w.vm.mm.id]);
    expect(m.oracle.figures().foreignExposedNow).toBe(0);
  });

  it('purge() is the mm-wide flush mermap asks for before mapped pages are freed: the mm CPUs only', () => {
    const { w, m, b, gpc } = activated();
    w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
    w.run('vmm', gpcUse(w.threads.vmm, gpc, { len: 8, op: 'read' }));
    expect(m.oracle.figures().staleNow).toBe(2);
    // The VM mm is loaded on cpus 0, 2 and 3 (kthread's lazy TLB); cpu 1 runs another process.
    const ipis = m.ledger.counters.ipis;
    b.purge?.(m.cpu(0));
    expect(m.ledger.counters.ipis - ipis).toBe(2);
    expect(m.oracle.figures().staleNow).toBe(0);
    expect(m.reachability(gpc.pfn).tlb).toEqual([]);
    expect(b.sliceUsed(w.vm.mm, 0)).toBe(0);
    expect(b.stats?.()).toMatchObject({ mmFlushes: 1, mmFlushIpis: 2 });
    // Nothing mapped since: nothing to flush.
    b.purge?.(m.cpu(0));
    expect(b.stats?.()).toMatchObject({ mmFlushes: 1 });
  });

  it('refuses hard-IRQ context: EWOULDBLOCK, never an oops, with the reach guard on or off', () => {
    for (const reachGuard of [true, false]) {
      const { w, m, b, gpc } = activated({ reachGuard });
      // An IRQ on the vCPU's own CPU (VM mm loaded) and one on a CPU running another process.
      const irq0 = w.kvm.scheduler.spawn({ name: 'irq0', kind: 'irq', cpu: 0, mm: null });
      for (const t of [irq0, w.threads.irq]) {
        // runAlone, not w.run: entering an IRQ would load the other process's mm on cpu 0.
        const out = runAlone(gpcUse(t, gpc, { len: 8, op: 'write', atomic: true }));
        expect(out).toMatchObject({ result: 'EWOULDBLOCK', access: null, verdict: 'unreachable' });
      }
      expect(gpc.counters.wouldBlock).toBe(2);
      expect(m.oopses).toHaveLength(0);
      // With the guard on, check() turns them away before the backend is asked.
      expect(b.stats?.()).toMatchObject({ refusedIrq: reachGuard ? 0 : 2, mapped: 0 });
    }
  });

  it('refuses a task in another mm: mermap only maps the current process memory', () => {
    for (const reachGuard of [true, false]) {
      const { w, m, b, gpc } = activated({ reachGuard });
      const out = w.run('other', gpcUse(w.threads.other, gpc, { len: 8, op: 'read' }));
      expect(out.result).toBe('EWOULDBLOCK');
      expect(m.oopses).toHaveLength(0);
      expect(w.otherMm.localPt.size).toBe(0);
      expect(b.stats?.()).toMatchObject({ refusedForeignMm: reachGuard ? 0 : 1, mapped: 0 });
    }
  });

  it('refuses an mm that was never prepared, and answers reachable() the same way', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = ephmapBackend.create(m) as EphmapBackend;
    const pfn = w.gmemPfn(2);
    const req = { pfn, offset: 0, bytes: 8, op: 'read' as const };
    expect(b.reachable(w.threads.vcpu.ctx, w.vm, NULL_KHVA)).toBe(false);
    const r = b.access?.(w.threads.vcpu.ctx, w.vm, req);
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/not been prepared/) });
    b.prepare?.(w.mapContext());
    expect(b.reachable(w.threads.vcpu.ctx, w.vm, NULL_KHVA)).toBe(true);
    expect(b.reachable({ cpu: m.cpu(0), mode: 'atomic' }, w.vm, NULL_KHVA)).toBe(true);
    expect(b.reachable({ cpu: m.cpu(0), mode: 'irq' }, w.vm, NULL_KHVA)).toBe(false);
    expect(b.reachable(w.threads.other.ctx, w.vm, NULL_KHVA)).toBe(false);
    expect(b.access?.(w.threads.vcpu.ctx, w.vm, req)).toMatchObject({ ok: true, outcome: { ok: true, pfn } });
    expect(b.stats?.()).toMatchObject({ refusedUnprepared: 1, mapped: 1 });
  });

  it('map/unmap are not for per-access backends: EINVAL and a no-op', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = ephmapBackend.create(w.kvm.machine);
    expect(b.map(w.mapContext(), w.gmemPfn(0))).toMatchObject({ ok: false, errno: 'EINVAL' });
    b.unmap(w.mapContext(), MERMAP_BASE, 0);
    expect(w.vm.mm.localPt.size).toBe(0);
    expect(b.stats?.()).toMatchObject({ unexpectedMapCalls: 2 });
  });

  it('maps on the CPU where the access runs: a VMM thread uses its own slice', () => {
    const { w, b, gpc } = activated();
    w.run('vmm', gpcUse(w.threads.vmm, gpc, { len: 8, op: 'read' }));
    expect(b.sliceUsed(w.vm.mm, 2)).toBe(1);
    expect(b.sliceUsed(w.vm.mm, 0)).toBe(0);
    const e = [...w.threads.vmm.cpu.tlb.entries.values()].find((x) => x.asid === w.vm.mm.id);
    expect(e?.vpn).toBe(vpnOf(mermapSliceBase(2)));
  });

  it('registers as ephmap with per-access traits and rejects options', () => {
    const m = createTestWorld({ cpus: 4 }).kvm.machine;
    expect(new BackendRegistry([ephmapBackend]).create('ephmap', m)).toBeInstanceOf(EphmapBackend);
    expect(ephmapBackend.traits).toEqual({
      kind: 'per-access',
      usableFromIrq: false,
      usableFromForeignMm: false,
      mayRefuseRam: false,
      needsReachGuard: true,
      lazyFlush: false,
    });
    expect(() => ephmapBackend.create(m, { slice: 1 } as never)).toThrow('ephmap: unknown option "slice"');
  });
});
