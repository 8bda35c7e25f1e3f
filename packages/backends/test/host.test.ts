import { directMapBackend } from '@khva/backend-direct-map';
import { vmapBackend } from '@khva/backend-vmap';
import { Host } from '@khva/host';
import { gpcUse } from '@khva/pfncache';
import { describe, expect, it } from 'vitest';
import { anonSlot, gmemSlot } from './support/slots.ts';

describe('Host', () => {
  it('builds VMs, memslots and threads; a vcpu runs in its VM mm, a process in its own', () => {
    const host = new Host({ machine: { cpus: 2 }, backend: vmapBackend });
    const vm = host.addVm({ name: 'vm0', memslots: [gmemSlot, anonSlot] });
    const vcpu = host.addThread({ name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 });
    const other = host.addThread({ name: 'other', kind: 'process', cpu: 1 });
    expect(vm.memslots.slots.size).toBe(2);
    expect(host.backend.name).toBe('vmap');
    expect(host.machine.cpu(0).loadedMm).toBe(vm.mm);
    expect(host.machine.cpu(1).loadedMm).not.toBe(vm.mm);
    expect(host.threadVm.get('vcpu0')).toBe(vm);
    expect(host.threadVm.has('other')).toBe(false);
    // The context switch sets the CPU whose thread runs (page allocation is per CPU).
    host.enter(other);
    expect(host.machine.currentCpu).toBe(1);
    host.enter(vcpu);
    expect(host.machine.currentCpu).toBe(0);
    expect(() => host.addVm({ name: 'vm0' })).toThrow('vm vm0 already exists');
    expect(() => host.addThread({ name: 'x', kind: 'vcpu', vm: 'vm9', cpu: 0 })).toThrow('no vm named vm9');
  });

  it('observes the oops of a direct-map address for a page out of the direct map', () => {
    const host = new Host({ machine: { cpus: 2 }, backend: directMapBackend });
    const vm = host.addVm({ name: 'vm0', memslots: [gmemSlot] });
    const vcpu = host.addThread({ name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 });
    const pv = host.createCache('pv', vm);
    const activate = host.observe();
    expect(host.run(vcpu, pv.activate(vcpu, 0x1000, 8))).toBe(0);
    const a = activate.end();
    expect(a.deltas.mapCalls).toBe(1);
    expect(a.oops).toBeUndefined();
    const use = host.observe();
    host.run(vcpu, gpcUse(vcpu, pv, { len: 8, op: 'write', offset: 0, bytes: 8, atomic: false }));
    const u = use.end();
    expect(u.oops).toHaveLength(1);
    expect(u.oops?.[0]?.cpu).toBe(0);
    expect(u.useAfterFree).toBe(false);
  });

  it('observes the use-after-free when a punch-hole never reaches the cache (RFC v1)', () => {
    const host = new Host({
      machine: { cpus: 4 },
      kernel: { gmemInvalidation: false },
      backend: vmapBackend,
    });
    const vm = host.addVm({ name: 'vm0', memslots: [gmemSlot, anonSlot] });
    const vcpu = host.addThread({ name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 });
    const vmm = host.addThread({ name: 'vmm', kind: 'host', vm: 'vm0', cpu: 2 });
    const pv = host.createCache('pv', vm);
    expect(host.run(vcpu, pv.activate(vcpu, 0x1000, 8))).toBe(0);
    const slot = vm.memslots.slots.get(0);
    if (!slot?.gmem) throw new Error('slot 0 is a gmem slot');
    const punch = host.observe();
    expect(host.run(vmm, slot.gmem.punchHole(vmm, slot.gmemPgoff + 1, 1))).toBe(0);
    const p = punch.end();
    expect(p.violations).toEqual(['valid-pfn-is-current']);
    // The same violation with its cache, as checkInvariants over every cache lists it.
    expect(p.broken?.map((v) => [v.invariant, v.cache])).toEqual([['valid-pfn-is-current', 'pv']]);
    expect(p.useAfterFree).toBe(false);
    expect(p.useAfterFreeAccesses).toBeUndefined();
    // The VMM faults in anon memory on the same CPU and gets the freed frame.
    expect(host.run(vmm, host.createCache('vmmbuf', vm).activate(vmm, 0x100000, 8))).toBe(0);
    const use = host.observe();
    expect(
      host.run(vcpu, gpcUse(vcpu, pv, { len: 8, op: 'write', offset: 0, bytes: 8, atomic: false })).result,
    ).toBe(0);
    const u = use.end();
    expect(u.useAfterFree).toBe(true);
    expect(u.useAfterFreeAccesses).toBeGreaterThanOrEqual(1);
    expect(u.oops).toBeUndefined();
  });

  it('observes nothing for a step that does nothing', () => {
    const host = new Host({ machine: { cpus: 1 }, backend: vmapBackend });
    const o = host.observe().end();
    expect(o).toEqual({
      deltas: { mapCalls: 0, unmapCalls: 0, tlbFlushesGlobal: 0, ipis: 0, wouldBlock: 0 },
      useAfterFree: false,
      staleAfterFree: false,
      violations: [],
    });
  });

  it('spawns without entering when asked, sets memslots from a given thread, forgets a destroyed VM', () => {
    const host = new Host({ machine: { cpus: 2 }, backend: vmapBackend });
    const vm = host.addVm({ name: 'vm0' });
    const cr3 = () => host.machine.ledger.byRow.get('cr3Write') ?? 0;
    const before = cr3();
    const vmm = host.addThread({ name: 'vmm', kind: 'host', vm: 'vm0', cpu: 1, enter: false });
    const proc = host.addThread({ name: 'proc', kind: 'process', cpu: 0, enter: false });
    // Spawned only: no mm loaded, no context switch charged.
    expect(host.machine.cpu(1).loadedMm).toBeNull();
    expect(host.machine.cpu(0).loadedMm).not.toBe(proc.spec.mm);
    expect(cr3()).toBe(before);
    // An ioctl from the VMM thread: it is entered first (its mm on its CPU, that CPU current).
    host.setMemslots(vm, [anonSlot], vmm);
    expect(vm.memslots.slots.get(1)?.userspaceAddr).toBe(anonSlot.hva);
    expect(host.machine.cpu(1).loadedMm).toBe(vm.mm);
    expect(host.machine.currentCpu).toBe(1);
    expect(cr3()).toBeGreaterThan(before);
    expect(() => host.setMemslots(vm, [{ ...anonSlot, slot: 2 }])).toThrow('memslot 2');
    host.destroyVm(vm);
    expect(vm.alive).toBe(false);
    expect(host.vms.has('vm0')).toBe(false);
    expect(host.threadVm.has('vmm')).toBe(false);
    // Its VMM thread exited with it; a process of no VM stays.
    expect(host.kvm.scheduler.threads.has('vmm')).toBe(false);
    expect(host.thread('proc')).toBe(proc);
    // The name is free again.
    expect(host.addVm({ name: 'vm0' })).not.toBe(vm);
  });
});
