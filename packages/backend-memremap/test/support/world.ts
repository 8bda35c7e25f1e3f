import { isErrno, type KernelOptions, Kvm, type Memslot, type Vm } from '@khva/kvm';
import { type Mm, PAGE_SIZE, type Pfn, runAlone, type SimThread, type ThreadBody } from '@khva/memory-core';
import { GfnToPfnCache, type MapContext, type MappingBackend } from '@khva/pfncache';

export const GMEM_GFN = 0;
export const GMEM_HVA = 0x7e00_0000_0000;
export const ANON_GFN = 0x100;
export const ANON_HVA = 0x7f00_0000_0000;

export interface World {
  readonly kvm: Kvm;
  readonly vm: Vm;
  readonly gmemSlot: Memslot;
  readonly otherMm: Mm;
  /** cpu 0: the vCPU; cpu 1: an unrelated process and an IRQ on top of it; cpu 2: a VMM thread. */
  readonly vcpu: SimThread;
  readonly other: SimThread;
  readonly irq: SimThread;
  readonly vmm: SimThread;
  /** cpu 3 (4+ CPUs): a kthread on a CPU where the VM's mm was loaded last (lazy TLB). */
  readonly kthread: SimThread | null;
}

/** A host with one VM: a NO_DIRECT_MAP guest_memfd slot at gfn 0 and an anonymous slot at gfn 0x100. */
export function world(kernel: Partial<KernelOptions> = {}, cpus = 4): World {
  const kvm = new Kvm({ machine: { cpus }, kernel });
  const vm = kvm.createVm('vm0');
  const kt = kvm.kthread();
  const gmem = { mmap: true, noDirectMap: true };
  const spec = {
    slot: 0,
    gfn: GMEM_GFN,
    pages: 16,
    backing: 'gmem',
    hva: GMEM_HVA,
    gmemFlags: gmem,
    vmmMapped: false,
  } as const;
  if (runAlone(vm.setMemslot(kt, spec)) !== 0) throw new Error('gmem slot');
  if (
    runAlone(vm.setMemslot(kt, { slot: 1, gfn: ANON_GFN, pages: 16, backing: 'anon', hva: ANON_HVA })) !== 0
  ) {
    throw new Error('anon slot');
  }
  const s = kvm.scheduler;
  const m = kvm.machine;
  const otherMm = m.createMm('other');
  const vcpu = s.spawn({ name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: vm.mm });
  const other = s.spawn({ name: 'other', kind: 'process', cpu: 1, mm: otherMm });
  const irq = s.spawn({ name: 'irq1', kind: 'irq', cpu: 1, mm: null });
  const vmm = s.spawn({ name: 'vmm', kind: 'host', cpu: Math.min(2, cpus - 1), mm: vm.mm });
  m.switchMm(m.cpu(0), vm.mm);
  m.switchMm(m.cpu(1), otherMm);
  m.switchMm(vmm.cpu, vm.mm);
  let kthread: SimThread | null = null;
  if (cpus >= 4) {
    m.switchMm(m.cpu(3), vm.mm);
    kthread = s.spawn({ name: 'kworker', kind: 'kthread', cpu: 3, mm: null });
  }
  const gmemSlot = vm.memslots.slots.get(0);
  if (!gmemSlot) throw new Error('no gmem slot');
  return { kvm, vm, gmemSlot, otherMm, vcpu, other, irq, vmm, kthread };
}

/** Run a body on a thread to its end, alone. */
export function run<R>(w: World, t: SimThread, body: ThreadBody<R>): R {
  t.start(body);
  w.kvm.scheduler.runToCompletion(t);
  return t.result as R;
}

/** A page of the gmem slot handed out by kvm_gmem_get_pfn (removed from the direct map). */
export function gmemPfn(w: World, index: number): Pfn {
  const pfn = w.vm.gmemGetPfn(w.vcpu.ctx, w.gmemSlot, GMEM_GFN + index);
  if (isErrno(pfn)) throw new Error(pfn.reason);
  w.vm.releasePage(pfn);
  return pfn;
}

/** A page of VMM memory (faulted in by GUP): in the direct map. */
export function anonPfn(w: World, index: number): Pfn {
  const pfn = w.vm.hvaToPfn(w.vcpu.ctx, ANON_HVA + index * PAGE_SIZE);
  if (isErrno(pfn)) throw new Error(pfn.reason);
  w.vm.releasePage(pfn);
  return pfn;
}

export function mapContext(w: World, t: SimThread = w.vcpu): MapContext {
  return { machine: w.kvm.machine, vm: w.vm, ctx: t.ctx };
}

export function cache(w: World, backend: MappingBackend, name = 'pv'): GfnToPfnCache {
  return new GfnToPfnCache(w.vm, backend, name);
}

/** Cycles charged by f, by calibration row. */
export function charged(w: World, f: () => void): Record<string, number> {
  const before = new Map(w.kvm.machine.ledger.byRow);
  f();
  const out: Record<string, number> = {};
  for (const [row, c] of w.kvm.machine.ledger.byRow) {
    const d = c - (before.get(row) ?? 0);
    if (d !== 0) out[row] = d;
  }
  return out;
}
