import {
  type ExecContext,
  type ExecMode,
  type Machine,
  runAlone,
  type SimThread,
  type ThreadBody,
  type Va,
} from '@khva/memory-core';
import {
  type GmemFlags,
  type GuestMemfd,
  type InvalidationSubscriber,
  type KernelOptions,
  Kvm,
  type Memslot,
  type MemslotSpec,
  type Vm,
} from '../src/index.ts';

/** Where the VMM keeps anonymous guest memory, and where it maps guest_memfd files. */
export const HVA_ANON: Va = 0x7f00_0000_0000;
export const HVA_GMEM: Va = 0x7e00_0000_0000;
/** VMM memory that is in no memslot. */
export const HVA_OTHER: Va = 0x7d00_0000_0000;

// kvm's tests build their world from Kvm directly, not with @khva/host's Host: host depends on kvm,
// so kvm (even its tests) depending on host would be a workspace cycle, which turbo refuses. What
// they share with Host is the context switch: enter() below is the scheduler's, not a copy.
export interface Setup {
  readonly kvm: Kvm;
  readonly m: Machine;
  readonly vm: Vm;
  /** A thread of the VMM process (the VM's mm) on CPU 0. */
  readonly vmm: SimThread;
}

export function setup(
  kernel: Partial<KernelOptions> = {},
  cpus = 4,
  directMapLeaf: '1G' | '2M' = '1G',
): Setup {
  const kvm = new Kvm({ machine: { cpus, directMapLeaf }, kernel });
  const vm = kvm.createVm();
  const vmm = kvm.scheduler.spawn({ name: 'vmm', kind: 'host', cpu: 0, mm: vm.mm });
  return { kvm, m: kvm.machine, vm, vmm };
}

/**
 * The scheduler's context switch (the one Host.enter uses): t's mm loaded on its CPU, t current
 * there, its CPU the one pages are allocated from. Returns t's context.
 */
export function enter(s: Setup, t: SimThread = s.vmm): ExecContext {
  s.kvm.scheduler.enter(t);
  return t.ctx;
}

/** A VMM-process thread for manual stepping. */
export function hostThread(s: Setup, name: string, cpu = 0): SimThread {
  return s.kvm.scheduler.spawn({ name, kind: 'host', cpu, mm: s.vm.mm });
}

export function on(m: Machine, cpu: number, mode: ExecMode = 'process', who = `cpu${cpu}`): ExecContext {
  return { cpu: m.cpu(cpu), mode, who };
}

/** Run a body to completion and require the kernel's success value. */
export function ok(body: ThreadBody<unknown>): void {
  const r = runAlone(body);
  if (r !== 0) throw new Error(`expected 0, got ${JSON.stringify(r)}`);
}

export function anonSlot(slot = 0, gfn = 0, pages = 16, hva: Va = HVA_ANON): MemslotSpec {
  return { slot, gfn, pages, backing: 'anon', hva };
}

export function gmemSlot(
  flags: GmemFlags,
  slot = 0,
  gfn = 0x100,
  pages = 16,
  hva: Va = HVA_GMEM,
): MemslotSpec {
  return { slot, gfn, pages, backing: 'gmem', hva, gmemFlags: flags };
}

/** Create a memslot and return it with its guest_memfd file (if any). */
export function addSlot(s: Setup, spec: MemslotSpec): { slot: Memslot; file: GuestMemfd | null } {
  ok(s.vm.setMemslot(s.vmm, spec));
  const slot = s.vm.memslots.slots.get(spec.slot);
  if (!slot) throw new Error(`slot ${spec.slot} missing`);
  return { slot, file: slot.gmem };
}

/** A guest_memfd memslot; its file must exist. */
export function addGmemSlot(s: Setup, spec: MemslotSpec): { slot: Memslot; file: GuestMemfd } {
  const { slot, file } = addSlot(s, spec);
  if (!file) throw new Error('not a gmem slot');
  return { slot, file };
}

/** kvm_gmem_get_pfn for gfn, then drop the reference as the gpc does after mapping. */
export function handOut(s: Setup, slot: Memslot, gfn: number, cpu = 0): number {
  const pfn = s.vm.gmemGetPfn(on(s.m, cpu), slot, gfn);
  if (typeof pfn !== 'number') throw new Error(`gmemGetPfn: ${pfn.errno} ${pfn.reason}`);
  s.vm.releasePage(pfn);
  return pfn;
}

export interface SubscriberCall {
  readonly start: Va;
  readonly end: Va;
  /** activeInvalidateCount when the subscriber ran. */
  readonly active: number;
  /** mmuInvalidateInProgress when the subscriber ran. */
  readonly inProgress: number;
}

/** A cache stand-in on vm.gpcList that records each invalidation it is called with. */
export function recordingSubscriber(vm: Vm): { calls: SubscriberCall[]; sub: InvalidationSubscriber } {
  const calls: SubscriberCall[] = [];
  const sub: InvalidationSubscriber = {
    *invalidateStart(_t, start, end) {
      calls.push({ start, end, active: vm.activeInvalidateCount, inProgress: vm.mmuInvalidateInProgress });
      // The real gpc spins on its write lock here: a point where another thread could run.
      yield { kind: 'preempt', label: 'subscriber' };
      return false;
    },
  };
  vm.gpcList.add(sub);
  return { calls, sub };
}

/** Step a started thread until it stops at the yield labelled `label` (fails if it finishes first). */
export function stepTo(s: Setup, t: SimThread, label: string, maxSteps = 100): void {
  for (let i = 0; i < maxSteps; i++) {
    s.kvm.scheduler.step(t);
    if (t.done) throw new Error(`${t.name} finished before reaching ${label}`);
    if (t.lastYield?.label === label) return;
  }
  throw new Error(`${t.name} did not reach ${label} in ${maxSteps} steps`);
}

/** Frames still owned by the VM. */
export function ownedFrames(s: Setup, vm: Vm = s.vm): number[] {
  return [...s.m.mem.frames.values()].filter((f) => f.owner === vm.id).map((f) => f.pfn);
}
