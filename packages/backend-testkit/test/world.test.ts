import { PAGE_SIZE, regionOf } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { ANON_HVA, createTestWorld, GMEM_GFN } from '../src/index.ts';

describe('createTestWorld', () => {
  it('builds one VM with a no-direct-map gmem slot (not mapped by the VMM) and an anon slot', () => {
    const w = createTestWorld({ cpus: 4 });
    expect(w.kvm.vms.size).toBe(1);
    expect(w.gmemSlot.gmem?.flags).toEqual({ mmap: true, noDirectMap: true });
    expect(w.gmemSlot.baseGfn).toBe(GMEM_GFN);
    expect(w.vm.mm.findVma(w.gmemSlot.userspaceAddr)).toBeUndefined();
    expect(w.anonSlot.backing).toBe('anon');
    expect(w.vm.mm.findVma(ANON_HVA)).toBeDefined();
  });

  it('places threads: vCPU on 0, other + IRQ on 1, VMM on 2, kthread on 3 (2 CPUs: VMM and kthread on 0)', () => {
    const w4 = createTestWorld({ cpus: 4 });
    const cpuOf = (w: typeof w4) =>
      Object.fromEntries(Object.entries(w.threads).map(([k, t]) => [k, t.cpu.id]));
    expect(cpuOf(w4)).toEqual({ vcpu: 0, vmm: 2, other: 1, irq: 1, kthread: 3 });
    expect(cpuOf(createTestWorld({ cpus: 2 }))).toEqual({ vcpu: 0, vmm: 0, other: 1, irq: 1, kthread: 0 });
    expect(() => createTestWorld({ cpus: 1 })).toThrow(RangeError);
  });

  it('enter() loads the right mm: own mm for user threads, the VM mm for the kthread, the other mm under the IRQ', () => {
    const w = createTestWorld({ cpus: 4 });
    expect(w.enter('vcpu').cpu.loadedMm).toBe(w.vm.mm);
    expect(w.enter('vmm').cpu.loadedMm).toBe(w.vm.mm);
    expect(w.enter('kthread').cpu.loadedMm).toBe(w.vm.mm);
    expect(w.enter('other').cpu.loadedMm).toBe(w.otherMm);
    const irq = w.enter('irq');
    expect(irq.mode).toBe('irq');
    expect(irq.cpu.loadedMm).toBe(w.otherMm);
  });

  it('gmemPfn hands a page out of the direct map; anonPfn is a normal direct-mapped page; both stay allocated', () => {
    const w = createTestWorld({ cpus: 2 });
    const g = w.gmemPfn(3);
    const a = w.anonPfn(3);
    expect(w.machine.mem.get(g)?.noDirectMap).toBe(true);
    expect(w.machine.directMap.isPresent(g)).toBe(false);
    expect(w.machine.mem.get(a)?.noDirectMap).toBe(false);
    expect(w.machine.directMap.isPresent(a)).toBe(true);
    expect(w.gmemPfn(3)).toBe(g);
    expect(w.anonPfn(3)).toBe(a);
    expect(w.machine.mem.get(g)?.refcount).toBe(1);
    // The direct-map alias of the gmem page oopses; the anon one does not.
    expect(w.access('vcpu', w.machine.pageAddress(g)).ok).toBe(false);
    expect(w.access('irq', w.machine.pageAddress(a)).ok).toBe(true);
    expect(regionOf(w.machine.pageAddress(a))).toBe('direct-map');
    expect(() => w.gmemPfn(16)).toThrow(RangeError);
    expect(w.gmemGpa(1, 8)).toBe((GMEM_GFN + 1) * PAGE_SIZE + 8);
  });

  it("enter() is the scheduler's context switch: the CPU runs the thread and machine.currentCpu follows", () => {
    const w = createTestWorld({ cpus: 4 });
    for (const name of ['vcpu', 'vmm', 'other', 'irq', 'kthread'] as const) {
      const t = w.threads[name];
      const ctx = w.enter(name);
      expect(ctx.cpu).toBe(t.cpu);
      expect(t.cpu.current).toBe(t.name);
      expect(w.machine.currentCpu, name).toBe(t.cpu.id);
    }
    // The IRQ lands on a CPU running the unrelated process; the kthread borrows the VM's mm.
    w.enter('irq');
    expect(w.threads.irq.cpu.loadedMm).not.toBe(w.vm.mm);
    w.enter('kthread');
    expect(w.threads.kthread.cpu.loadedMm).toBe(w.vm.mm);
  });
});
