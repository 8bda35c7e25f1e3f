import type { MappingBackend } from '@khva/backend-api';
import { Host } from '@khva/host';
import type { Kvm, MemslotSpec, Vm } from '@khva/kvm';
import { type Machine, PAGE_SIZE, Prng, type SimThread, type ThreadBody } from '@khva/memory-core';
import {
  GfnToPfnCache,
  type GpcCounters,
  gpcUseAlone,
  type UseOutcome,
  zeroGpcCounters,
} from '@khva/pfncache';
import type { CostMetrics, SafetyMetrics, WorkloadResult, WorkloadRunContext } from './contract.ts';

/** Where a VM's memory sits in its VMM and in the guest (the same layout for every VM). */
export const PV_GFN = 0x0;
export const SECRET_GFN = 0x1000;
export const ANON_GFN = 0x10_0000;
const GMEM_PV_HVA = 0x7e00_0000_0000;
const GMEM_SECRET_HVA = 0x7e80_0000_0000;
const ANON_HVA = 0x7f00_0000_0000;

export interface GuestLayout {
  /** Pages of the pv slot (gmem, NO_DIRECT_MAP, tag pv): kvm-clock pages, Xen shared pages. */
  readonly pvPages: number;
  /** Pages of guest data (gmem, NO_DIRECT_MAP, tag secret) the guest faults in at start. */
  readonly secretPages: number;
  /** Pages of ordinary VMM memory in an anon slot (0: none). */
  readonly anonPages?: number;
}

export interface GuestVm {
  readonly vm: Vm;
  readonly vcpus: SimThread[];
  readonly vmm: SimThread;
}

/**
 * One workload run: a preset over `@khva/host` (machine + scheduler + kernel variant, the backend
 * under test made from the run's factory), the caches ever created, and the figures collected at
 * the end. Every workload draws its events from its own seeded PRNG before or independently of what
 * the backend does, so the same seed gives every backend the same sequence of events.
 */
export class Harness {
  /** The world: VMs, memslots, threads and the one context switch come from it. */
  readonly host: Host;
  readonly kvm: Kvm;
  readonly machine: Machine;
  readonly backend: MappingBackend;
  readonly prng: Prng;
  /** Live caches, each with the thread that owns it. */
  readonly caches = new Map<GfnToPfnCache, SimThread>();
  private readonly retired: GpcCounters = zeroGpcCounters();
  /** gpc accesses attempted. */
  ops = 0;
  /** Events that the fast path could not deliver and a slow path did later. */
  slowPath = 0;
  private nextVm = 0;

  constructor(readonly ctx: WorkloadRunContext) {
    this.host = new Host({
      machine: {
        cpus: ctx.machine.cpus,
        tlbEntries: ctx.machine.tlbEntries,
        memGiB: ctx.machine.memGiB,
        ghz: ctx.machine.ghz,
        calibration: ctx.calibration,
      },
      kernel: ctx.kernel,
      seed: ctx.seed,
      backend: ctx.backend,
      ...(ctx.backendOptions === undefined ? {} : { backendOptions: { ...ctx.backendOptions } }),
    });
    this.kvm = this.host.kvm;
    this.machine = this.host.machine;
    this.backend = this.host.backend;
    this.prng = new Prng(ctx.seed);
  }

  get cpus(): number {
    return this.machine.cpus.length;
  }

  /** Run a body on a thread to completion (no other thread runs meanwhile). */
  run<R>(t: SimThread, body: ThreadBody<R>): R {
    return this.host.run(t, body);
  }

  /**
   * A VM (its own VMM process) with NO_DIRECT_MAP guest_memfd slots, vCPU threads and a VMM thread,
   * spawned but not entered: the workload decides what runs first.
   */
  createGuest(layout: GuestLayout, vcpus: number, firstCpu = 0): GuestVm {
    const id = this.nextVm++;
    const name = `vm${id}`;
    const flags = { mmap: true, noDirectMap: true };
    const memslots: MemslotSpec[] = [
      {
        slot: 0,
        gfn: PV_GFN,
        pages: layout.pvPages,
        backing: 'gmem',
        hva: GMEM_PV_HVA,
        gmemFlags: flags,
        vmmMapped: false,
        sensitivity: 'pv',
      },
    ];
    if (layout.secretPages > 0) {
      memslots.push({
        slot: 1,
        gfn: SECRET_GFN,
        pages: layout.secretPages,
        backing: 'gmem',
        hva: GMEM_SECRET_HVA,
        gmemFlags: flags,
        vmmMapped: false,
        sensitivity: 'secret',
      });
    }
    if ((layout.anonPages ?? 0) > 0) {
      memslots.push({ slot: 2, gfn: ANON_GFN, pages: layout.anonPages ?? 0, backing: 'anon', hva: ANON_HVA });
    }
    const vm = this.host.addVm({ name, memslots });
    const cpu = (i: number) => (firstCpu + i) % this.cpus;
    const threads = Array.from({ length: vcpus }, (_, i) =>
      this.host.addThread({ name: `${name}-vcpu${i}`, kind: 'vcpu', cpu: cpu(i), vm: name, enter: false }),
    );
    const vmm = this.host.addThread({
      name: `${name}-vmm`,
      kind: 'host',
      cpu: cpu(vcpus),
      vm: name,
      enter: false,
    });
    vm.vcpus.push(...threads.map((t, i) => ({ id: i, thread: t.name })));
    // The guest runs: its vCPUs fault its data pages in (kvm_gmem_get_pfn at stage-2 faults).
    for (let p = 0; p < layout.secretPages; p++) {
      const t = threads[p % threads.length]!;
      this.enter(t);
      const slot = vm.memslots.slots.get(1)!;
      const pfn = vm.gmemGetPfn(t.ctx, slot, SECRET_GFN + p);
      if (typeof pfn === 'number') vm.releasePage(pfn);
    }
    return { vm, vcpus: threads, vmm };
  }

  /** n VMs of the same shape, the vCPUs of VM i starting at CPU i x vcpus (wrapping). */
  createGuests(n: number, layout: GuestLayout, vcpus: number): GuestVm[] {
    return Array.from({ length: n }, (_, i) => this.createGuest(layout, vcpus, i * vcpus));
  }

  /** Tear a guest's VM down (its caches retired first), so the host keeps nothing of it. */
  destroyGuest(g: GuestVm): void {
    this.host.destroyVm(g.vm);
  }

  /** n unrelated processes (each its own mm), pinned round-robin on the CPUs, not entered. */
  spawnProcesses(n: number): SimThread[] {
    return Array.from({ length: n }, (_, i) =>
      this.host.addThread({ name: `proc${i}`, kind: 'process', cpu: i % this.cpus, enter: false }),
    );
  }

  /** One hard-IRQ thread per CPU (it runs on whatever mm that CPU has loaded). */
  spawnIrqs(): SimThread[] {
    return this.machine.cpus.map((c) => this.host.addThread({ name: `irq${c.id}`, kind: 'irq', cpu: c.id }));
  }

  /** Context-switch a thread onto its CPU now, without running it (the host's one context switch). */
  enter(t: SimThread): void {
    this.host.enter(t);
  }

  /** Move a thread to another CPU and run it there (vCPU migration). */
  migrate(t: SimThread, cpu: number): void {
    this.kvm.scheduler.migrate(t, cpu % this.cpus);
    this.enter(t);
  }

  /** A new cache owned by thread t (which later deactivates it), activated at gpa from t's CPU. */
  newCache(t: SimThread, vm: Vm, name: string, gpa: number, len: number): GfnToPfnCache {
    const g = new GfnToPfnCache(vm, this.backend, name);
    this.caches.set(g, t);
    this.enter(t);
    this.activate(t, g, gpa, len);
    return g;
  }

  activate(t: SimThread, g: GfnToPfnCache, gpa: number, len: number): 0 | string {
    return this.run(t, g.activate(t, gpa, len));
  }

  /** One gpc access by the kernel caller pattern (run alone: no generator on a valid cache). */
  use(t: SimThread, g: GfnToPfnCache, len: number, atomic: boolean): UseOutcome {
    this.ops++;
    return gpcUseAlone(this.host, t, g, { len, op: 'write', atomic });
  }

  /** Deactivate and forget caches (all of them, or those of one VM), keeping their counters. */
  retireAll(vm?: Vm): void {
    for (const [g, t] of [...this.caches]) {
      if (vm && g.vm !== vm) continue;
      this.run(t, g.deactivate(t));
      for (const k of Object.keys(this.retired) as (keyof GpcCounters)[]) this.retired[k] += g.counters[k];
      this.caches.delete(g);
    }
  }

  gpaOf(gfn: number, offset = 0): number {
    return gfn * PAGE_SIZE + offset;
  }

  private totals(): GpcCounters {
    const t = { ...this.retired };
    for (const g of this.caches.keys())
      for (const k of Object.keys(t) as (keyof GpcCounters)[]) t[k] += g.counters[k];
    return t;
  }

  /** Figures of the run, from the ledger, the oracle and the caches. */
  result(notes: string[] = []): WorkloadResult {
    this.backend.purge?.(this.machine.cpu(0));
    const c = this.machine.ledger.counters;
    const o = this.machine.oracle.figures();
    const g = this.totals();
    const cost: CostMetrics = {
      cycles: Math.round(this.machine.ledger.cycles),
      cyclesPerOp: this.ops > 0 ? round2(this.machine.ledger.cycles / this.ops) : 0,
      mapCalls: g.mapCalls,
      unmapCalls: g.unmapCalls,
      mapFailures: g.mapFailures,
      wouldBlock: g.wouldBlock,
      tlbFlushesLocal: c.tlbFlushesLocal,
      tlbFlushesGlobal: c.tlbFlushesGlobal,
      ipis: c.ipis,
      vaBytesPeak: c.vaBytesPeak,
      pageTablePages: c.pageTablePagesPeak,
      directMapSplits: c.directMapSplits,
    };
    const safety: SafetyMetrics = {
      oopses: c.oopses,
      faults: c.faults,
      exposurePageNs: Math.round(o.exposurePageNs),
      foreignExposurePageNs: Math.round(o.foreignExposurePageNs),
      staleTranslationNs: Math.round(o.staleTranslationNs),
      useAfterFreeWindows: o.useAfterFreeWindows,
      useAfterFreeAccesses: o.useAfterFreeAccesses,
    };
    const extra = [...notes];
    if (this.slowPath > 0) extra.push(`${this.slowPath} events delivered by the slow path`);
    const stats = this.backend.stats?.();
    return {
      ops: this.ops,
      cost,
      safety,
      ...(extra.length > 0 ? { notes: extra } : {}),
      ...(stats === undefined ? {} : { backendStats: { ...stats } }),
    };
  }
}

const round2 = (x: number): number => Math.round(x * 100) / 100;
