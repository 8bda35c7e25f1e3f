import type { MapContext, MappingBackend } from '@khva/backend-api';
import { Host } from '@khva/host';
import { isErrno, type KernelOptions, type Kvm, type Memslot, type Vm } from '@khva/kvm';
import {
  type AccessOp,
  type AccessOutcome,
  type ExecContext,
  type Machine,
  type MachineOptions,
  type Mm,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  runAlone,
  type SimThread,
  type ThreadBody,
  type Va,
  vpnOf,
} from '@khva/memory-core';
import { GfnToPfnCache } from '@khva/pfncache';

/** The guest_memfd memslot: GUEST_MEMFD_FLAG_MMAP | NO_DIRECT_MAP, not mapped by the VMM. */
export const GMEM_SLOT = 0;
export const GMEM_GFN = 0x100;
export const GMEM_HVA: Va = 0x7e00_0000_0000;
/** The anonymous memslot: ordinary VMM memory, in the direct map (at 4 GiB of guest memory, clear of gmem). */
export const ANON_SLOT = 1;
export const ANON_GFN = 0x10_0000;
export const ANON_HVA: Va = 0x7f00_0000_0000;

/**
 * The contexts a khva can be used from:
 * - vcpu: a vCPU thread (the VM's mm, task context);
 * - vmm: a VMM thread on another CPU (the VM's mm);
 * - kthread: a kernel thread on a CPU whose loaded mm is the VM's (lazy TLB borrowing);
 * - other: an unrelated process in task context (its own mm);
 * - irq: a hard IRQ on the CPU where that unrelated process runs.
 */
export type ContextName = 'vcpu' | 'vmm' | 'kthread' | 'other' | 'irq';

export interface TestWorldOptions {
  /** Online CPUs (at least 2: the unrelated process and its IRQ need a CPU of their own). */
  readonly cpus: number;
  /** Which kernel behaviour to model (defaults: the RFC v2/v3 kernel with every guard on). */
  readonly kernel?: Partial<KernelOptions>;
  /** Other machine options (TLB size, calibration overrides...). */
  readonly machine?: Omit<Partial<MachineOptions>, 'cpus'>;
  readonly seed?: number;
  /** Pages in each memslot (default 16). */
  readonly slotPages?: number;
}

/** A snapshot of what a backend could leak, taken before a mapping is made. */
export interface WorldSnapshot {
  /** machine.vmalloc bytes in use. */
  readonly vmallocBytes: number;
  /** Ledger VA bytes over every VA range (vmalloc and any mm-local allocator). */
  readonly vaBytes: number;
  /** PTEs in the global vmalloc/ioremap page table. */
  readonly kernelPtes: number;
  /** PTEs in the mm-local page tables of every live mm. */
  readonly localPtes: number;
  readonly exposedNow: number;
  readonly foreignExposedNow: number;
  readonly staleNow: number;
  readonly oopses: number;
}

export interface TestWorld {
  readonly kvm: Kvm;
  readonly machine: Machine;
  readonly vm: Vm;
  /** The NO_DIRECT_MAP guest_memfd slot (slot 0 at gfn 0x100, MMAP flag, not mapped by the VMM). */
  readonly gmemSlot: Memslot;
  /** The anonymous slot (slot 1 at ANON_GFN, VMM memory at ANON_HVA). */
  readonly anonSlot: Memslot;
  /** The unrelated process's mm. */
  readonly otherMm: Mm;
  readonly threads: Readonly<Record<ContextName, SimThread>>;
  /** A page of the gmem slot, handed out by kvm_gmem_get_pfn (so removed from the direct map). */
  gmemPfn(i: number): Pfn;
  /** A page of the anon slot, faulted in and looked up by GUP (a normal direct-mapped page). */
  anonPfn(i: number): Pfn;
  /** Guest physical address of page i of the gmem / anon slot (plus an offset in the page). */
  gmemGpa(i: number, offset?: number): number;
  anonGpa(i: number, offset?: number): number;
  /**
   * Put a thread on its CPU as the scheduler's context switch does (user threads load their
   * mm); a kthread finds the VM's mm loaded (a VMM thread ran there last) and an IRQ lands on
   * a CPU running the unrelated process. Returns the thread's context.
   */
  enter(t: SimThread | ContextName): ExecContext;
  /** enter(t), then drive a generator to its end with runAlone. */
  run<R>(t: SimThread | ContextName, body: ThreadBody<R>): R;
  /** machine.access from a thread's context, after enter(t). */
  access(t: SimThread | ContextName, va: Va, len?: number, op?: AccessOp, data?: Uint8Array): AccessOutcome;
  /** The MapContext the gpc would pass from this thread (default: the vCPU thread). */
  mapContext(t?: SimThread | ContextName): MapContext;
  /** A gfn_to_pfn_cache of the VM over a backend, not activated yet (name: default 'pv'). */
  cache(backend: MappingBackend, name?: string): GfnToPfnCache;
  /** Run f; the cycles it charged to the machine's ledger, by calibration row (rows it left alone absent). */
  charged(f: () => void): Record<string, number>;
  /** Kernel PTEs (global or any mm-local table) at the page of va. */
  ptesAt(va: Va): Array<{ readonly scope: 'global' | number; readonly pfn: Pfn }>;
  /** CPUs whose TLB still caches a kernel translation for the page of va (direct map excluded). */
  tlbHolders(va: Va): number[];
  snapshot(): WorldSnapshot;
}

/**
 * A host with one VM and the threads the contract needs:
 * CPU 0 the vCPU; CPU 1 an unrelated process and an IRQ thread; the VMM thread on CPU 2 and a
 * kthread on CPU 3 when there are CPUs for them (else on CPU 0, next to the vCPU).
 */
export function createTestWorld(options: TestWorldOptions): TestWorld {
  const { cpus } = options;
  if (!Number.isInteger(cpus) || cpus < 2) {
    throw new RangeError(`createTestWorld: cpus must be an integer >= 2 (got ${cpus})`);
  }
  const pages = options.slotPages ?? 16;
  if (!Number.isInteger(pages) || pages < 1 || GMEM_GFN + pages > ANON_GFN) {
    throw new RangeError(
      `createTestWorld: slotPages must be an integer from 1 to ${ANON_GFN - GMEM_GFN} (got ${pages})`,
    );
  }
  // A preset over @khva/host's Host, built without a backend: the contract makes the backend under
  // test on this world's machine itself.
  const host = new Host({
    machine: { ...options.machine, cpus },
    ...(options.kernel ? { kernel: options.kernel } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
  });
  const { kvm, machine } = host;
  const vm = host.addVm({ name: 'vm0' });
  const vmmCpu = cpus >= 3 ? 2 : 0;
  const kthreadCpu = cpus >= 4 ? 3 : 0;
  // Spawned only: the memslots are set from the VMM thread first, then every thread is entered.
  const threads: Record<ContextName, SimThread> = {
    vcpu: host.addThread({ name: 'vcpu0', kind: 'vcpu', cpu: 0, vm: 'vm0', enter: false }),
    vmm: host.addThread({ name: 'vmm', kind: 'host', cpu: vmmCpu, vm: 'vm0', enter: false }),
    other: host.addThread({ name: 'other', kind: 'process', cpu: 1, enter: false }),
    irq: host.addThread({ name: 'irq1', kind: 'irq', cpu: 1 }),
    kthread: host.addThread({ name: 'kthread', kind: 'kthread', cpu: kthreadCpu }),
  };
  const otherMm = threads.other.spec.mm as Mm;
  vm.vcpus.push({ id: 0, thread: threads.vcpu.name });

  const resolve = (t: SimThread | ContextName): SimThread => (typeof t === 'string' ? threads[t] : t);

  const enter = (tt: SimThread | ContextName): ExecContext => {
    const t = resolve(tt);
    // The host's one context switch (a task's mm, the CPU's current thread, machine.currentCpu),
    // then what this world places under the threads that own no mm.
    host.enter(t);
    if (t.spec.mm) {
      // A thread of the caller's own with an mm the scheduler does not load for its kind.
      machine.switchMm(t.cpu, t.spec.mm);
    } else if (t.kind === 'kthread' && t.cpu.loadedMm !== vm.mm) {
      // The VMM ran here last: the kthread borrows its mm (lazy TLB).
      machine.switchMm(t.cpu, vm.mm);
    } else if (t.kind === 'irq' && t.cpu.loadedMm !== otherMm) {
      // The IRQ interrupts the unrelated process.
      machine.switchMm(t.cpu, otherMm);
    }
    return t.ctx;
  };

  const run = <R>(t: SimThread | ContextName, body: ThreadBody<R>): R => {
    enter(t);
    return runAlone(body);
  };

  // KVM_SET_USER_MEMORY_REGION2 from the VMM thread (entered first, on its CPU).
  host.setMemslots(
    vm,
    [
      {
        slot: GMEM_SLOT,
        gfn: GMEM_GFN,
        pages,
        backing: 'gmem',
        hva: GMEM_HVA,
        gmemFlags: { mmap: true, noDirectMap: true },
        vmmMapped: false,
      },
      { slot: ANON_SLOT, gfn: ANON_GFN, pages, backing: 'anon', hva: ANON_HVA },
    ],
    threads.vmm,
  );
  const gmemSlot = vm.memslots.slots.get(GMEM_SLOT);
  const anonSlot = vm.memslots.slots.get(ANON_SLOT);
  if (!gmemSlot || !anonSlot) throw new Error('createTestWorld: memslots were not created');
  // Every CPU starts with the mm its threads run in loaded.
  for (const name of ['vcpu', 'vmm', 'kthread', 'other', 'irq'] as const) enter(name);

  const checkIndex = (i: number) => {
    if (!Number.isInteger(i) || i < 0 || i >= pages)
      throw new RangeError(`page index ${i} outside 0..${pages - 1}`);
  };

  const world: TestWorld = {
    kvm,
    machine,
    vm,
    gmemSlot,
    anonSlot,
    otherMm,
    threads,
    gmemPfn(i) {
      checkIndex(i);
      const pfn = vm.gmemGetPfn(enter('vmm'), gmemSlot, GMEM_GFN + i);
      if (isErrno(pfn)) throw new Error(`kvm_gmem_get_pfn(gfn ${GMEM_GFN + i}): ${pfn.errno} ${pfn.reason}`);
      vm.releasePage(pfn);
      return pfn;
    },
    anonPfn(i) {
      checkIndex(i);
      const pfn = vm.hvaToPfn(enter('vmm'), ANON_HVA + i * PAGE_SIZE);
      if (isErrno(pfn))
        throw new Error(`GUP(${(ANON_HVA + i * PAGE_SIZE).toString(16)}): ${pfn.errno} ${pfn.reason}`);
      vm.releasePage(pfn);
      return pfn;
    },
    gmemGpa: (i, offset = 0) => (GMEM_GFN + i) * PAGE_SIZE + offset,
    anonGpa: (i, offset = 0) => (ANON_GFN + i) * PAGE_SIZE + offset,
    enter,
    run,
    access(t, va, len = 8, op = 'read', data) {
      return machine.access(enter(t), va, len, op, data);
    },
    mapContext(t = 'vcpu') {
      return { machine, vm, ctx: enter(t) };
    },
    cache(backend, name = 'pv') {
      return new GfnToPfnCache(vm, backend, name);
    },
    charged(f) {
      const before = new Map(machine.ledger.byRow);
      f();
      const out: Record<string, number> = {};
      for (const [row, c] of machine.ledger.byRow) {
        const d = c - (before.get(row) ?? 0);
        if (d !== 0) out[row] = d;
      }
      return out;
    },
    ptesAt(va) {
      const vpn = vpnOf(va);
      const out: Array<{ scope: 'global' | number; pfn: Pfn }> = [];
      const g = machine.kernelPt.get(vpn);
      if (g) out.push({ scope: 'global', pfn: g.pfn });
      for (const mm of machine.mms.values()) {
        const l = mm.localPt.get(vpn);
        if (l) out.push({ scope: mm.id, pfn: l.pfn });
      }
      return out;
    },
    tlbHolders(va) {
      if (regionOf(va) === 'direct-map') return [];
      const vpn = vpnOf(va);
      const out: number[] = [];
      for (const cpu of machine.cpus) {
        for (const e of cpu.tlb.entries.values()) {
          if (e.vpn === vpn && e.scope >= 0) {
            out.push(cpu.id);
            break;
          }
        }
      }
      return out;
    },
    snapshot() {
      const f = machine.oracle.figures();
      let localPtes = 0;
      for (const mm of machine.mms.values()) localPtes += mm.localPt.size;
      return {
        vmallocBytes: machine.vmalloc.bytesInUse,
        vaBytes: machine.ledger.counters.vaBytes,
        kernelPtes: machine.kernelPt.size,
        localPtes,
        exposedNow: f.exposedNow,
        foreignExposedNow: f.foreignExposedNow,
        staleNow: f.staleNow,
        oopses: machine.oopses.length,
      };
    },
  };
  return world;
}
