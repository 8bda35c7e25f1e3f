import { BackendRegistry } from '@khva/backend-api';
import { createTestWorld, mapCharged } from '@khva/backend-testkit';
import { lazyMaxPages, MM_LOCAL_START, PAGE_SIZE, regionOf, runAlone } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { MM_LOCAL_MAP_SIZE, MmLocalBackend, mmLocalBackend } from '../src/index.ts';

describe('mm-local: a stable mapping in the VM mm-local region', () => {
  it('keeps page_address for a page in the direct map and maps nothing', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = mmLocalBackend.create(m);
    const pfn = w.anonPfn(0);
    const { result: r, cost } = mapCharged(w, b, pfn);
    expect(r).toEqual({ ok: true, khva: m.pageAddress(pfn) });
    expect(cost).toEqual({});
    expect(b.reachable(w.threads.irq.ctx, w.vm, m.pageAddress(pfn))).toBe(true);
  });

  it('maps an absent page in the lower half of the VM mm-local region: VA alloc + PTE set', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = mmLocalBackend.create(m);
    const pfn = w.gmemPfn(1);
    const { result: r, cost } = mapCharged(w, b, pfn);
    expect(r).toEqual({ ok: true, khva: MM_LOCAL_START });
    const c = (row: Parameters<typeof m.calibration.get>[0]) => m.calibration.get(row);
    expect(cost).toEqual({
      mmLocalVaAlloc: c('mmLocalVaAlloc'),
      mmLocalPteSet: c('mmLocalPteSet'),
      ptePageAlloc: 3 * c('ptePageAlloc'),
    });
    expect(w.vm.mm.localPt.get(MM_LOCAL_START / PAGE_SIZE)?.pfn).toBe(pfn);
    expect(w.otherMm.localPt.size).toBe(0);
    expect(m.ledger.counters.vaBytes).toBe(2 * PAGE_SIZE);
    expect(MM_LOCAL_MAP_SIZE).toBe(256 * 2 ** 30);
  });

  it('works from a vCPU, a VMM thread and a kthread borrowing the VM mm; invisible from another mm', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = mmLocalBackend.create(m);
    const gpc = w.cache(b);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(2, 0x10), 8))).toBe(0);
    expect(regionOf(gpc.khva)).toBe('mm-local');
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'write', data })).result).toBe(0);
    const kthread = w.threads.kthread;
    expect(kthread.cpu.id).toBe(3);
    expect(kthread.cpu.loadedMm).toBe(w.vm.mm);
    for (const t of [w.threads.vmm, kthread]) {
      const out = w.run(t, gpcUse(t, gpc, { len: 8, op: 'read' }));
      expect(out.result).toBe(0);
      expect(out.access?.ok && out.access.data).toEqual(data);
    }
    // An IRQ on the kthread's CPU (VM mm still loaded there) reaches it too.
    const irq3 = w.kvm.scheduler.spawn({ name: 'irq3', kind: 'irq', cpu: 3, mm: null });
    // runAlone, not w.run: entering an IRQ would load the other process's mm on cpu 3.
    expect(runAlone(gpcUse(irq3, gpc, { len: 8, op: 'read', atomic: true })).result).toBe(0);
    // An unrelated process cannot use it: the backend says so, and the reach guard sends it away.
    expect(b.reachable(w.threads.other.ctx, w.vm, gpc.khva - 0x10)).toBe(false);
    expect(w.run('other', gpcUse(w.threads.other, gpc, { len: 8, op: 'read' })).result).toBe('EWOULDBLOCK');
    expect(m.oopses).toHaveLength(0);
    // No foreign exposure: only the VM's mm reaches the page.
    expect(m.reachability(gpc.pfn).mms).toEqual([w.vm.mm.id]);
    expect(m.oracle.exposedFrames().find((f) => f.pfn === gpc.pfn)).toEqual({
      pfn: gpc.pfn,
      tag: 'secret',
      foreign: false,
    });
    expect(m.oracle.figures().foreignExposedNow).toBe(0);
  });

  it('from a hard IRQ on a CPU running another process: guard on -> EWOULDBLOCK, no oops', () => {
    const w = createTestWorld({ cpus: 4, kernel: { reachGuard: true } });
    const m = w.kvm.machine;
    const gpc = w.cache(mmLocalBackend.create(m));
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1), 8))).toBe(0);
    expect(w.threads.irq.cpu.loadedMm).toBe(w.otherMm);
    const out = w.run('irq', gpcUse(w.threads.irq, gpc, { len: 8, op: 'write', atomic: true }));
    expect(out).toMatchObject({ result: 'EWOULDBLOCK', access: null, verdict: 'unreachable' });
    expect(gpc.counters.wouldBlock).toBe(1);
    expect(m.oopses).toHaveLength(0);
  });

  it('from a hard IRQ on a CPU running another process: guard off -> the access oopses', () => {
    const w = createTestWorld({ cpus: 4, kernel: { reachGuard: false } });
    const m = w.kvm.machine;
    const gpc = w.cache(mmLocalBackend.create(m));
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1), 8))).toBe(0);
    const out = w.run('irq', gpcUse(w.threads.irq, gpc, { len: 8, op: 'write', atomic: true }));
    expect(out.result).toBe(0);
    expect(out.access).toMatchObject({ ok: false, kind: 'oops' });
    expect(gpc.counters.wouldBlock).toBe(0);
    expect(m.oopses).toHaveLength(1);
    expect(m.oopses[0]).toMatchObject({ cpu: 1, mode: 'irq', who: 'irq1', op: 'write' });
  });

  it('unmap clears the PTE with no flush and leaves the VA and the stale entries to the per-mm purge', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = mmLocalBackend.create(m) as MmLocalBackend;
    const gpc = w.cache(b);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1), 8))).toBe(0);
    const khva = gpc.khva;
    w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'read' }));
    w.run('vmm', gpcUse(w.threads.vmm, gpc, { len: 8, op: 'read' }));
    const ipis = m.ledger.counters.ipis;
    const cost = w.charged(() => w.run('vcpu', gpc.deactivate(w.threads.vcpu)));
    expect(cost).toEqual({ mmLocalUnmap: m.calibration.get('mmLocalUnmap') });
    expect(m.ledger.counters.ipis).toBe(ipis);
    expect(w.vm.mm.localPt.get(khva / PAGE_SIZE)).toBeUndefined();
    expect(m.oracle.figures().staleNow).toBe(2);
    expect(b.lazyStats(w.vm.mm)).toMatchObject({ lazyPages: 2, lazyAreas: 1, purges: 0 });
    expect(m.ledger.counters.vaBytes).toBe(2 * PAGE_SIZE);
  });

  it('the purge flushes with flush_tlb_mm_range: IPIs only to the CPUs that have the VM mm loaded', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = mmLocalBackend.create(m);
    const gpc = w.cache(b);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1), 8))).toBe(0);
    for (const t of [w.threads.vcpu, w.threads.vmm]) w.run(t, gpcUse(t, gpc, { len: 8, op: 'read' }));
    w.run('vcpu', gpc.deactivate(w.threads.vcpu));
    // VM mm loaded on cpus 0 (vCPU), 2 (VMM) and 3 (kthread's lazy TLB); cpu 1 runs another process.
    expect([...w.vm.mm.cpumask].sort()).toEqual([0, 2, 3]);
    const before = { ...m.ledger.counters };
    b.purge?.(m.cpu(0));
    expect(m.ledger.counters.ipis - before.ipis).toBe(2);
    expect(m.ledger.counters.tlbFlushesMm - before.tlbFlushesMm).toBe(1);
    expect(m.ledger.counters.tlbFlushesGlobal - before.tlbFlushesGlobal).toBe(0);
    expect(m.oracle.figures().staleNow).toBe(0);
    expect(m.ledger.counters.vaBytes).toBe(0);
    expect(b.stats?.()).toMatchObject({ purges: 1, areasPurged: 1, purgeIpis: 2, lazyPages: 0 });
  });

  it('batches unmaps per mm like vmap: purges past lazy_max_pages() and not before', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = mmLocalBackend.create(m) as MmLocalBackend;
    const pfn = w.gmemPfn(5);
    const mc = w.mapContext();
    const max = lazyMaxPages(4);
    const cycle = () => {
      const r = b.map(mc, pfn);
      if (!r.ok) throw new Error(r.reason);
      b.unmap(mc, r.khva, pfn);
    };
    for (let i = 0; i < max / 2; i++) cycle();
    expect(b.lazyStats(w.vm.mm)).toMatchObject({ lazyPages: max, purges: 0 });
    const ipis = m.ledger.counters.ipis;
    cycle();
    expect(b.lazyStats(w.vm.mm)).toMatchObject({ lazyPages: 0, purges: 1, areasPurged: max / 2 + 1 });
    // cpus 2 and 3 have the VM mm loaded besides the initiator (cpu 0).
    expect(m.ledger.counters.ipis - ipis).toBe(2);
    // Another VM's lazy list is its own.
    const vm2 = w.kvm.createVm('vm1');
    expect(b.lazyStats(vm2.mm)).toMatchObject({ lazyPages: 0, purges: 0 });
  });

  it('works through the gpc for VMM memory in the direct map without touching the mm-local region', () => {
    const w = createTestWorld({ cpus: 4 });
    const gpc = w.cache(mmLocalBackend.create(w.kvm.machine));
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.anonGpa(0), 8))).toBe(0);
    expect(regionOf(gpc.khva)).toBe('direct-map');
    expect(w.run('irq', gpcUse(w.threads.irq, gpc, { len: 8, op: 'read', atomic: true })).result).toBe(0);
    expect(w.vm.mm.localPt.size).toBe(0);
  });

  it('registers as mm-local with mm-local traits and rejects options', () => {
    const registry = new BackendRegistry([mmLocalBackend]);
    const m = createTestWorld({ cpus: 4 }).kvm.machine;
    expect(registry.create('mm-local', m)).toBeInstanceOf(MmLocalBackend);
    expect(mmLocalBackend.traits).toEqual({
      kind: 'mm-local',
      usableFromIrq: false,
      usableFromForeignMm: false,
      mayRefuseRam: false,
      needsReachGuard: true,
      lazyFlush: true,
    });
    expect(() => mmLocalBackend.create(m, { lazy: false } as never)).toThrow(
      'mm-local: unknown option "lazy"',
    );
  });
});
