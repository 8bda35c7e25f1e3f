import { createTestWorld } from '@khva/backend-testkit';
import { regionOf } from '@khva/memory-core';
import { gpcUse, NULL_KHVA } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { memremapStrictBackend } from '../src/index.ts';

describe('memremap-strict (today: try_ram_remap hands back the direct-map address)', () => {
  it('hands a no-direct-map gmem page its dead direct-map address, which oopses on first use', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapStrictBackend.create(m);
    const gpc = w.cache(b);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1, 8), 8))).toBe(0);
    expect(m.directMap.isPresent(gpc.pfn)).toBe(false);
    expect(gpc.khva).toBe(m.pageAddress(gpc.pfn) + 8);
    expect(gpc.check(8, w.threads.vcpu.ctx)).toBe(true);
    // The gpc believes it holds a good address: the first use oopses, from any context.
    const out = w.run('vcpu', gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'write' }));
    expect(out.result).toBe(0);
    expect(out.access?.ok).toBe(false);
    expect(m.oopses).toHaveLength(1);
    expect(m.oopses[0]).toMatchObject({ cpu: 0, who: 'vcpu0', op: 'write' });
    expect(m.oopses[0]?.va).toBe(`0xffff${(m.pageAddress(gpc.pfn) + 8).toString(16)}`);
    expect(b.stats?.()).toMatchObject({ directMapAddresses: 1, deadAddresses: 1, declinedAbsent: 0 });
  });

  it('with skipAbsent, try_ram_remap declines, ioremap refuses the RAM page with its warning: -EFAULT', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapStrictBackend.create(m, { skipAbsent: true });
    const gpc = w.cache(b);
    let res: unknown;
    const cost = w.charged(() => {
      res = w.run('vcpu', gpc.activate(w.threads.vcpu, w.gmemGpa(1), 8));
    });
    expect(res).toBe('EFAULT');
    expect(gpc.valid).toBe(false);
    expect(gpc.khva).toBe(NULL_KHVA);
    expect(gpc.counters).toMatchObject({ mapCalls: 1, mapFailures: 1 });
    expect(b.stats?.()).toMatchObject({
      declinedAbsent: 1,
      ramRefusedWarnings: 1,
      mapFailures: 1,
      ioremaps: 0,
    });
    // memremap's System RAM lookup, then ioremap's walk_system_ram_range; no memtype, no VA.
    expect(cost.regionIntersects).toBe(2 * m.calibration.get('regionIntersects'));
    expect(cost.memtypeReserve).toBeUndefined();
    expect(m.vmalloc.bytesInUse).toBe(0);
    expect(m.oopses).toHaveLength(0);
  });

  it('with skipAbsent still hands a page in the direct map its direct-map address', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapStrictBackend.create(m, { skipAbsent: true });
    const pfn = w.anonPfn(1);
    expect(b.map(w.mapContext(), pfn)).toEqual({ ok: true, khva: m.pageAddress(pfn) });
    const direct = b.map(w.mapContext(), w.gmemPfn(2));
    expect(direct.ok).toBe(false);
    if (!direct.ok) {
      expect(direct.errno).toBe('EFAULT');
      expect(direct.reason).toMatch(/^ioremap on RAM at 0x[0-9a-f]+/);
    }
  });

  it('memunmap of a direct-map address is a no-op (through the gpc on deactivate)', () => {
    const w = createTestWorld({ cpus: 4 });
    const m = w.kvm.machine;
    const b = memremapStrictBackend.create(m);
    const gpc = w.cache(b);
    expect(w.run('vcpu', gpc.activate(w.threads.vcpu, w.anonGpa(0, 0x10), 8))).toBe(0);
    expect(regionOf(gpc.khva)).toBe('direct-map');
    const out = w.run(
      'vcpu',
      gpcUse(w.threads.vcpu, gpc, { len: 8, op: 'write', data: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }),
    );
    expect(out.access?.ok).toBe(true);
    const pfn = gpc.pfn;
    const cycles = m.ledger.cycles;
    w.run('vcpu', gpc.deactivate(w.threads.vcpu));
    expect(gpc.counters.unmapCalls).toBe(1);
    expect(m.ledger.cycles).toBe(cycles);
    expect(b.stats?.()).toMatchObject({ memunmapNoops: 1, iounmaps: 0 });
    // The page's direct-map address stays as good as it was.
    expect(m.access(w.threads.irq.ctx, m.pageAddress(pfn), 8, 'read').ok).toBe(true);
  });

  it('has the traits of a global mapping that may refuse RAM', () => {
    expect(memremapStrictBackend.traits).toEqual({
      kind: 'global',
      usableFromIrq: true,
      usableFromForeignMm: true,
      mayRefuseRam: true,
      needsReachGuard: false,
      lazyFlush: false,
    });
    expect(memremapStrictBackend.name).toBe('memremap-strict');
    expect(memremapStrictBackend.defaults).toEqual({ skipAbsent: false });
  });
});
