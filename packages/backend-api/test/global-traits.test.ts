import { Machine } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { globalTraits } from '../src/index.ts';
import { testBackend } from '../src/testing.ts';

describe('globalTraits', () => {
  it('a global mapping works from IRQ and any mm with no reach guard; only RAM refusal and lazy flush vary', () => {
    for (const mayRefuseRam of [false, true]) {
      for (const lazyFlush of [false, true]) {
        const t = globalTraits({ mayRefuseRam, lazyFlush });
        expect(t.kind).toBe('global');
        expect([t.usableFromIrq, t.usableFromForeignMm, t.needsReachGuard]).toEqual([true, true, false]);
        expect([t.mayRefuseRam, t.lazyFlush]).toEqual([mayRefuseRam, lazyFlush]);
      }
    }
    expect(globalTraits()).toStrictEqual(globalTraits({ mayRefuseRam: false, lazyFlush: false }));
  });
});

describe('testBackend (@khva/backend-api/testing)', () => {
  it('hands out page_address in the direct map, a vmalloc PTE out of it, and unmaps with a flush', () => {
    const machine = new Machine({ cpus: 2 });
    const b = testBackend();
    expect(b.traits).toStrictEqual(globalTraits());
    const mc = {
      machine,
      vm: { name: 'vm0', mm: machine.createMm('vmm') },
      ctx: { cpu: machine.cpu(0), mode: 'process' as const },
    };
    const inMap = b.map(mc, 4096);
    expect(inMap).toEqual({ ok: true, khva: machine.pageAddress(4096) });
    machine.removeFromDirectMap(4097);
    const out = b.map(mc, 4097);
    if (!out.ok) throw new Error(out.reason);
    expect(out.khva).not.toBe(machine.pageAddress(4097));
    expect(machine.translate(machine.cpu(1), out.khva)).not.toBeNull();
    const flushes = machine.ledger.counters.tlbFlushesGlobal;
    b.unmap(mc, out.khva, 4097);
    expect(machine.ledger.counters.tlbFlushesGlobal).toBe(flushes + 1);
    expect(machine.translate(machine.cpu(1), out.khva)).toBeNull();
    expect(machine.vmalloc.bytesInUse).toBe(0);
  });
});
