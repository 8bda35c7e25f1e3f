import { createTestWorld } from '@khva/backend-testkit';
import { runAlone } from '@khva/memory-core';
import { GfnToPfnCache, gpcUse } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { directMapBackend } from '../src/index.ts';

describe('direct-map: khva = page_address(pfn)', () => {
  it('a page removed from the direct map oopses on first use from a vCPU and from a hard IRQ', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = directMapBackend.create(w.machine);
    const pfn = w.gmemPfn(0);
    const r = b.map(w.mapContext('vcpu'), pfn);
    if (!r.ok) throw new Error('map failed');
    expect(r.khva).toBe(w.machine.pageAddress(pfn));
    const vcpu = w.access('vcpu', r.khva, 8, 'write');
    const irq = w.access('irq', r.khva, 8, 'read');
    expect(vcpu).toMatchObject({ ok: false, kind: 'oops' });
    expect(irq).toMatchObject({ ok: false, kind: 'oops' });
    expect(w.machine.oopses.map((o) => [o.cpu, o.mode, o.who, o.op])).toEqual([
      [0, 'process', 'vcpu0', 'write'],
      [1, 'irq', 'irq1', 'read'],
    ]);
    expect(w.machine.oopses[0]?.reason).toMatch(/unable to handle page fault/);
    expect(b.stats?.()).toMatchObject({ maps: 1, deadAddresses: 1 });
  });

  it('a normal direct-mapped page works from a vCPU and from a hard IRQ on a CPU running another mm', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = directMapBackend.create(w.machine);
    const pfn = w.anonPfn(0);
    const r = b.map(w.mapContext('vcpu'), pfn);
    if (!r.ok) throw new Error('map failed');
    expect(w.access('vcpu', r.khva, 8, 'write', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8))).toMatchObject({
      ok: true,
      pfn,
    });
    const read = w.access('irq', r.khva, 8, 'read');
    expect(read.ok && [...(read.data ?? [])]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(w.machine.oopses).toEqual([]);
    expect(b.stats?.()).toMatchObject({ maps: 1, deadAddresses: 0 });
  });

  it('costs nothing and exposes nothing: no VA, no PTE, no cycles, and the hidden page stays hidden', () => {
    const w = createTestWorld({ cpus: 4 });
    const b = directMapBackend.create(w.machine);
    const pfns = [w.gmemPfn(0), w.gmemPfn(1), w.anonPfn(0)];
    const cycles = w.machine.ledger.cycles;
    const before = w.snapshot();
    for (const pfn of pfns) {
      const r = b.map(w.mapContext('vcpu'), pfn);
      if (!r.ok) throw new Error('map failed');
      b.unmap(w.mapContext('vcpu'), r.khva, pfn);
    }
    expect(w.machine.ledger.cycles).toBe(cycles);
    expect(w.snapshot()).toEqual(before);
    expect(w.machine.oracle.figures().exposedNow).toBe(0);
  });

  it('through the gpc: kvm-clock activation succeeds, then the first pvclock write oopses (no reach guard helps)', () => {
    const w = createTestWorld({ cpus: 4 });
    const gpc = new GfnToPfnCache(w.vm, directMapBackend.create(w.machine), 'pvclock');
    const vcpu = w.threads.vcpu;
    expect(w.run(vcpu, gpc.activate(vcpu, w.gmemGpa(0, 0x20), 32))).toBe(0);
    const use = w.run(vcpu, gpcUse(vcpu, gpc, { len: 32, op: 'write' }));
    expect(use.result).toBe(0);
    expect(use.access).toMatchObject({ ok: false, kind: 'oops' });
    // A Xen event-channel style atomic user in IRQ context hits the same dead address.
    const irq = w.threads.irq;
    w.enter(irq);
    const atomic = runAlone(gpcUse(irq, gpc, { len: 8, op: 'write', atomic: true }));
    expect(atomic.access).toMatchObject({ ok: false, kind: 'oops' });
    // gpcUse touches the page under the read lock: atomic context, then the IRQ.
    expect(w.machine.oopses.map((o) => o.mode)).toEqual(['atomic', 'irq']);
    w.run(vcpu, gpc.deactivate(vcpu));
    expect(gpc.counters.mapCalls).toBe(gpc.counters.unmapCalls);
  });

  it('with kernel.flushOnZap off, a CPU that cached the page before its removal still reaches it (stale), others oops', () => {
    const w = createTestWorld({ cpus: 4, kernel: { flushOnZap: false } });
    const b = directMapBackend.create(w.machine);
    const file = w.gmemSlot.gmem;
    if (!file) throw new Error('no gmem file');
    // fallocate: the folio exists and is still in the direct map; an IRQ on CPU 1 touches it.
    expect(file.allocate(5, 1)).toBe(0);
    const early = file.folios.get(5);
    if (early === undefined) throw new Error('no folio');
    expect(w.access('irq', w.machine.pageAddress(early)).ok).toBe(true);
    const pfn = w.gmemPfn(5);
    expect(pfn).toBe(early);
    const r = b.map(w.mapContext('vcpu'), pfn);
    if (!r.ok) throw new Error('map failed');
    const onCpu1 = w.access('irq', r.khva);
    expect(onCpu1).toMatchObject({ ok: true, stale: true, pfn });
    expect(b.reachable(w.enter('irq'), w.vm, r.khva)).toBe(true);
    expect(b.reachable(w.enter('vcpu'), w.vm, r.khva)).toBe(false);
    expect(w.access('vcpu', r.khva)).toMatchObject({ ok: false, kind: 'oops' });
    expect(w.machine.oracle.figures().exposedNow).toBe(1);
  });
});
