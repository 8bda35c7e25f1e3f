import type { MappingBackend } from '@khva/backend-api';
import { testBackend } from '@khva/backend-api/testing';
import { type KernelOptions, Kvm, type Vm } from '@khva/kvm';
import { runAlone, type SimThread, type ThreadBody } from '@khva/memory-core';
import { GfnToPfnCache } from '../../src/gpc.ts';

export const GMEM_HVA = 0x7e00_0000_0000;
export const ANON_HVA = 0x7f00_0000_0000;
export const ANON_GFN = 0x100;

export interface World {
  kvm: Kvm;
  vm: Vm;
  vcpu: SimThread;
  vmm: SimThread;
  other: SimThread;
  irq: SimThread;
  gpc: GfnToPfnCache;
}

/** A 4-CPU host, one VM with a gmem NO_DIRECT_MAP slot at gfn 0 and an anon slot at gfn 0x100. */
export function world(
  kernel: Partial<KernelOptions> = {},
  opts: { vmmMapped?: boolean; backend?: MappingBackend; calibration?: Record<string, number> } = {},
): World {
  const machine = opts.calibration ? { cpus: 4, calibration: opts.calibration } : { cpus: 4 };
  const kvm = new Kvm({ machine, kernel });
  const vm = kvm.createVm('vm0');
  const kt = kvm.kthread();
  runAlone(
    vm.setMemslot(kt, {
      slot: 0,
      gfn: 0,
      pages: 16,
      backing: 'gmem',
      hva: GMEM_HVA,
      gmemFlags: { mmap: true, noDirectMap: true },
      vmmMapped: opts.vmmMapped ?? false,
    }),
  );
  runAlone(vm.setMemslot(kt, { slot: 1, gfn: ANON_GFN, pages: 16, backing: 'anon', hva: ANON_HVA }));
  const s = kvm.scheduler;
  const vcpu = s.spawn({ name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: vm.mm });
  const vmm = s.spawn({ name: 'vmm', kind: 'host', cpu: 2, mm: vm.mm });
  const otherMm = kvm.machine.createMm('other');
  const other = s.spawn({ name: 'other', kind: 'process', cpu: 1, mm: otherMm });
  const irq = s.spawn({ name: 'irq1', kind: 'irq', cpu: 1, mm: null });
  kvm.machine.switchMm(kvm.machine.cpu(1), otherMm);
  const gpc = new GfnToPfnCache(vm, opts.backend ?? testBackend(), 'pv');
  return { kvm, vm, vcpu, vmm, other, irq, gpc };
}

/** Run a body on a thread to its end (alone). */
export function run<R>(w: World, t: SimThread, body: ThreadBody<R>): R {
  t.start(body);
  w.kvm.scheduler.runToCompletion(t);
  return t.result as R;
}

/** Run a body on a thread until it yields at the label; returns false if it finished first. */
export function runUntil(w: World, t: SimThread, body: ThreadBody<unknown>, label: string): boolean {
  t.start(body);
  while (!t.done) {
    w.kvm.scheduler.step(t);
    if (!t.done && t.lastYield?.label === label) return true;
  }
  return false;
}

/** Continue a started thread to the end. */
export function finish(w: World, t: SimThread): unknown {
  w.kvm.scheduler.runToCompletion(t);
  return t.result;
}
