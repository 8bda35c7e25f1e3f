import type { BackendFactory, MappingBackend } from '@khva/backend-api';
import { type KernelOptionsInput, Kvm, type MemslotSpec, type Vm } from '@khva/kvm';
import {
  type MachineOptions,
  type Mm,
  ModelUsageError,
  runAlone,
  type SimThread,
  type ThreadBody,
  type ThreadKind,
  type Va,
} from '@khva/memory-core';
import { GfnToPfnCache, InvariantTracker } from '@khva/pfncache';
import { StepObserver } from './observe.ts';
import { StepCounters } from './step-counters.ts';

/** What a host is built from. The backend comes as a factory object: names are resolved at the edge. */
export interface HostSpec<O extends object = object> {
  readonly machine: MachineOptions;
  readonly kernel?: KernelOptionsInput;
  /** The scheduler's seed (default 1). */
  readonly seed?: number;
  /** Absent: a world without a backend (tests that make backends on its machine themselves). */
  readonly backend?: BackendFactory<O>;
  readonly backendOptions?: Partial<O>;
  /** Build caches with this class (tests use it to run deliberately broken variants). */
  readonly gpcClass?: typeof GfnToPfnCache;
}

/** A VM and its memory: memslots (set from the housekeeping kthread) and plain VMM anon mappings. */
export interface HostVmSpec {
  readonly name: string;
  readonly memslots?: readonly MemslotSpec[];
  readonly mappings?: readonly { readonly hva: Va; readonly pages: number }[];
}

/** A thread: vcpu and host threads run in their VM's mm, a process in an mm of its own. */
export interface HostThreadSpec {
  readonly name: string;
  readonly kind: ThreadKind;
  readonly cpu: number;
  readonly vm?: string;
  /**
   * Enter the thread on its CPU now (default: yes when it has an mm). false: only spawn it, so the
   * caller decides when it first runs (a context switch loads an mm, charges cycles, moves TLBs).
   */
  readonly enter?: boolean;
}

/**
 * The one way to stand a world up: machine and kvm, the backend made from its factory, VMs with
 * memslots, threads placed on their CPUs, caches; one context switch (enter) and one per-step
 * observation (observe). Scenarios, workloads, the explorer and tests are presets over it.
 */
export class Host {
  readonly kvm: Kvm;
  readonly vms = new Map<string, Vm>();
  /** The VM each thread belongs to (vcpu, host threads, and any thread given a vm). */
  readonly threadVm = new Map<string, Vm>();
  readonly caches = new Map<string, GfnToPfnCache>();
  readonly gpcClass: typeof GfnToPfnCache;
  private readonly made: { factory: BackendFactory<object>; backend: MappingBackend } | undefined;
  /** Made at the first observe(), so worlds that never observe pay nothing for change tracking. */
  private tracker: InvariantTracker | undefined;
  private readonly stepCounters = new StepCounters();
  /** Caches created since the last observed step ended, in creation order (kept once observing). */
  private fresh: GfnToPfnCache[] = [];

  constructor(spec: HostSpec<object>) {
    this.kvm = new Kvm({
      machine: spec.machine,
      ...(spec.kernel ? { kernel: spec.kernel } : {}),
      seed: spec.seed ?? 1,
    });
    this.made = spec.backend && {
      factory: spec.backend,
      backend: spec.backend.create(this.kvm.machine, spec.backendOptions),
    };
    this.gpcClass = spec.gpcClass ?? GfnToPfnCache;
  }

  /** The backend made from the spec's factory (a host built without one throws here). */
  get backend(): MappingBackend {
    return this.withBackend().backend;
  }

  get factory(): BackendFactory<object> {
    return this.withBackend().factory;
  }

  private withBackend(): { factory: BackendFactory<object>; backend: MappingBackend } {
    if (!this.made) throw new ModelUsageError('this host was built without a backend (HostSpec.backend)');
    return this.made;
  }

  get machine() {
    return this.kvm.machine;
  }

  /** Create a VM, set its memslots from the housekeeping kthread, map its VMM anon ranges. */
  addVm(spec: HostVmSpec): Vm {
    if (this.vms.has(spec.name)) throw new ModelUsageError(`vm ${spec.name} already exists`);
    const vm = this.kvm.createVm(spec.name);
    this.vms.set(spec.name, vm);
    if (spec.memslots?.length) this.setMemslots(vm, spec.memslots);
    for (const mp of spec.mappings ?? []) vm.mapAnon(mp.hva, mp.pages);
    return vm;
  }

  /**
   * Set memslots in order (KVM_SET_USER_MEMORY_REGION2), each to its end: from thread `from`, entered
   * first as a VMM ioctl runs in its own process, or by default from the housekeeping kthread.
   */
  setMemslots(vm: Vm, memslots: readonly MemslotSpec[], from?: SimThread): void {
    if (from) this.enter(from);
    const t = from ?? this.kvm.kthread();
    for (const ms of memslots) {
      const r = runAlone(vm.setMemslot(t, ms));
      if (r !== 0) throw new ModelUsageError(`vms.${vm.name}: memslot ${ms.slot}: ${r.errno} ${r.reason}`);
    }
  }

  /**
   * Tear a VM down (kvm.destroyVm: its caches deactivated first) as its VMM process exits: the VM's
   * threads exit with it, so neither the host nor the scheduler keeps the VM, its mm or its threads.
   */
  destroyVm(vm: Vm): void {
    const threads = [...this.threadVm].filter(([, v]) => v === vm).map(([name]) => this.thread(name));
    for (const t of threads) {
      if (!t.done)
        throw new ModelUsageError(`${vm.name}: thread ${t.name} is still running; finish it first`);
    }
    this.kvm.destroyVm(vm);
    if (this.vms.get(vm.name) === vm) this.vms.delete(vm.name);
    for (const t of threads) {
      this.threadVm.delete(t.name);
      this.kvm.scheduler.exit(t);
    }
  }

  vm(name: string): Vm {
    const vm = this.vms.get(name);
    if (!vm) throw new ModelUsageError(`no vm named ${name}; vms: ${[...this.vms.keys()].join(', ')}`);
    return vm;
  }

  /**
   * Spawn a thread. vcpu and host threads of a VM run in its mm, a process gets an mm of its own;
   * a thread with an mm is entered on its CPU at once unless `enter: false` (the last one placed is
   * what runs there).
   */
  addThread(spec: HostThreadSpec): SimThread {
    const vm = spec.vm !== undefined ? this.vm(spec.vm) : undefined;
    let mm: Mm | null = null;
    if ((spec.kind === 'vcpu' || spec.kind === 'host') && vm) mm = vm.mm;
    if (spec.kind === 'process') mm = this.machine.createMm(spec.name);
    if (vm) this.threadVm.set(spec.name, vm);
    const t = this.kvm.scheduler.spawn({ name: spec.name, kind: spec.kind, cpu: spec.cpu, mm });
    if (mm && spec.enter !== false) this.enter(t);
    return t;
  }

  /** The one context switch: t becomes what runs on its CPU (its mm loaded, the CPU current). */
  enter(t: SimThread): void {
    this.kvm.scheduler.enter(t);
  }

  /** Run a body on thread t to its end, entering t before each of its steps; returns its result. */
  run<R>(t: SimThread, body: ThreadBody<R>): R {
    t.start(body);
    return this.kvm.scheduler.runToCompletion(t) as R;
  }

  thread(name: string): SimThread {
    return this.kvm.scheduler.thread(name);
  }

  /** Initialise a cache (kvm_gpc_init) on a VM under a name, with the host's backend. */
  createCache(name: string, vm: Vm): GfnToPfnCache {
    if (this.caches.has(name)) throw new ModelUsageError(`cache ${name} already exists`);
    const c = new this.gpcClass(vm, this.backend, name);
    this.caches.set(name, c);
    // Only a host that observes tracks caches; the first observe() takes every cache made before it.
    if (this.tracker !== undefined) this.fresh.push(c);
    return c;
  }

  /** Start observing one step: call end() on the result after it to get what the step did. */
  observe(): StepObserver {
    if (this.tracker === undefined) {
      this.tracker = new InvariantTracker(this.machine);
      // Caches made before the first step start from their counters then, as a before/after sum would.
      this.fresh = [...this.caches.values()];
      this.stepCounters.take(this.fresh);
    }
    return new StepObserver(this.machine, this.tracker, this.stepCounters, () => this.takeFresh());
  }

  private takeFresh(): GfnToPfnCache[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }
}
