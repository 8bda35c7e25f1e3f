import { createTestWorld, mapCharged } from '@khva/backend-testkit';
import { PAGE_SIZE, runAlone } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { type RestoreBackend, restoreBackend } from '../src/index.ts';

describe('restore: the direct-map PTE comes back while a cache holds the page', () => {
  it('restores an absent page on map (no flush) and hands out page_address', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = restoreBackend.create(m) as RestoreBackend;
    const pfn = w.gmemPfn(1);
    expect(m.directMap.isPresent(pfn)).toBe(false);
    const ipis = m.ledger.counters.ipis;
    const { result: r, cost } = mapCharged(w, b, pfn);
    expect(r).toEqual({ ok: true, khva: m.pageAddress(pfn) });
    expect(cost).toEqual({ setDirectMapDefault: m.calibration.get('setDirectMapDefault') });
    expect(m.ledger.counters.ipis).toBe(ipis);
    expect(m.directMap.isPresent(pfn)).toBe(true);
    // Global again: every mm, every context, and the oracle counts it as foreign exposure.
    expect(m.access(w.threads.irq.ctx, m.pageAddress(pfn), 8, 'read')).toMatchObject({ ok: true, pfn });
    expect(m.reachability(pfn).mms).toBe('all');
    expect(b.holders(pfn)).toBe(1);
  });

  it('refcounts holders: the last one removes the PTE again with a kernel-range flush to every CPU', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = restoreBackend.create(m) as RestoreBackend;
    const a = w.cache(b, 'a');
    const c = w.cache(b, 'b');
    expect(w.run('vcpu', a.activate(w.threads.vcpu, w.gmemGpa(2), 8))).toBe(0);
    expect(w.run('vcpu', c.activate(w.threads.vcpu, w.gmemGpa(2, 0x40), 8))).toBe(0);
    expect(b.holders(a.pfn)).toBe(2);
    const pfn = a.pfn;
    w.run('irq', gpcUse(w.threads.irq, a, { len: 8, op: 'write', atomic: true }));
    w.run('vcpu', a.deactivate(w.threads.vcpu));
    expect(m.directMap.isPresent(pfn)).toBe(true);
    const ipis = m.ledger.counters.ipis;
    const cost = w.charged(() => w.run('vcpu', c.deactivate(w.threads.vcpu)));
    expect(m.directMap.isPresent(pfn)).toBe(false);
    expect(cost.setDirectMapInvalid).toBe(m.calibration.get('setDirectMapInvalid'));
    expect(m.ledger.counters.ipis - ipis).toBe(3);
    // The IRQ CPU's direct-map TLB entry went with the flush.
    expect(m.reachability(pfn).tlb).toEqual([]);
    expect(m.oracle.figures().exposedNow).toBe(0);
    expect(b.stats?.()).toMatchObject({ restores: 1, sharedHolds: 1, removals: 1, removalIpis: 3, held: 0 });
  });

  it('leaves a page in the direct map alone', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = restoreBackend.create(m);
    const pfn = w.anonPfn(0);
    const cost = w.charged(() => {
      const r = b.map(w.mapContext(), pfn);
      if (r.ok) b.unmap(w.mapContext(), r.khva, pfn);
    });
    expect(cost).toEqual({});
    expect(m.directMap.isPresent(pfn)).toBe(true);
    expect(b.stats?.()).toMatchObject({ passthrough: 1, restores: 0, removals: 0 });
  });

  it('does not take a page freed while held out of the direct map again', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = restoreBackend.create(m);
    const gpc = w.cache(b);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(3), 8))).toBe(0);
    const pfn = gpc.pfn;
    // Punch the page out of the file: the gpc is invalidated, the folio freed.
    const file = w.gmemSlot.gmem;
    if (!file) throw new Error('no gmem file');
    expect(runAlone(file.punchHole(w.threads.vmm, 3, 1))).toBe(0);
    expect(m.mem.get(pfn)?.owner).toBe(-1);
    w.run('vcpu', gpc.deactivate(w.threads.vcpu));
    expect(m.directMap.isPresent(pfn)).toBe(true);
    expect(b.stats?.()).toMatchObject({ skippedFreed: 1, removals: 0, held: 0 });
    // The next owner of the frame finds it where a free frame belongs: in the direct map.
    expect(m.access(w.threads.irq.ctx, m.pageAddress(pfn) + PAGE_SIZE - 8, 8, 'read').ok).toBe(true);
  });

  it('has global traits and rejects options', () => {
    expect(restoreBackend.traits).toEqual({
      kind: 'global',
      usableFromIrq: true,
      usableFromForeignMm: true,
      mayRefuseRam: false,
      needsReachGuard: false,
      lazyFlush: false,
    });
    expect(() => restoreBackend.create(createTestWorld({ cpus: 4 }).kvm.machine, { x: 1 } as never)).toThrow(
      'restore: unknown option "x"',
    );
  });
});
