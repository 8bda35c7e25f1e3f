import type { BackendRegistry } from '@khva/backend-api';
import type { StepObserver } from '@khva/host';
import { opBody, resultOf, type Scenario, type ScenarioStep, ScenarioWorld } from '@khva/host/scenario';
import type { Vm } from '@khva/kvm';
import { formatVa, type Mm, type SimThread, type YieldKind } from '@khva/memory-core';
import { type GfnToPfnCache, KVM_PFN_ERR_FAULT, NULL_KHVA } from '@khva/pfncache';
import { type Footprint, Recorder, WorldInstrumentation } from './footprint.ts';

/** A thread of the scenario and the ops it runs, in the order the scenario lists them. */
export interface ThreadOps {
  readonly name: string;
  readonly ops: readonly ScenarioStep[];
}

/**
 * The ops each thread runs: the scenario's steps by thread, in file order. `resume` steps and
 * `pauseAt`/`expect`/`note` are dropped: the explorer, not the file, decides where threads stop.
 */
export function threadOps(scenario: Scenario): ThreadOps[] {
  // A cache is created by the first step that names it, in that step's VM. Once threads run in
  // any order, a thread with no VM (an IRQ, another process) may be the first to name it: give
  // its steps the cache's VM, as `vm:` (which the runner reads the same way); with one VM, that one.
  const threadVm = new Map(scenario.threads.map((t) => [t.name, t.vm]));
  const cacheVm = new Map<string, string>();
  for (const s of scenario.steps) {
    const vm = s.vm ?? threadVm.get(s.thread);
    if (s.cache !== undefined && vm !== undefined && !cacheVm.has(s.cache)) cacheVm.set(s.cache, vm);
  }
  return scenario.threads.map((th) => ({
    name: th.name,
    ops: scenario.steps
      .filter((s) => s.thread === th.name && s.op !== 'resume')
      .map(({ pauseAt: _p, expect: _e, note: _n, ...op }) => {
        const only = scenario.vms.length === 1 ? scenario.vms[0]?.name : undefined;
        const vm =
          op.cache !== undefined &&
          th.vm === undefined &&
          op.vm === undefined &&
          (cacheVm.get(op.cache) ?? only);
        return vm ? { ...op, vm } : op;
      }),
  }));
}

export interface WorldOptions {
  readonly registry: BackendRegistry;
  /** Run with this backend instead of the scenario's. */
  readonly backend?: string;
  /** Build the caches with this class (tests pass deliberately broken subclasses). */
  readonly gpcClass?: typeof GfnToPfnCache;
  /** Names of checks not to report (known findings, while they are being fixed). */
  readonly ignore?: readonly string[];
}

/** The state of one cache, as the trace shows it. */
export interface CacheState {
  readonly name: string;
  readonly active: boolean;
  readonly valid: boolean;
  readonly pfn: number | null;
  readonly khva: string | null;
}

/** One scheduler step: which thread ran, in which op, and where it stopped. */
export interface StepEvent {
  /** 1-based position in the schedule. */
  readonly step: number;
  readonly thread: string;
  /** Index of the op in the thread's list, and its name (with its cache, if any). */
  readonly opIndex: number;
  readonly op: string;
  /** This step started the op. */
  readonly started: boolean;
  /** Where the thread stopped: a yield point, or null when the op finished. */
  readonly yieldKind: YieldKind | null;
  readonly label: string | null;
  /** The op's result when it finished (0, true/false or an errno name). */
  readonly result?: 0 | boolean | string;
  readonly error?: string;
  readonly caches: readonly CacheState[];
}

/** A broken rule: an invariant of `@khva/pfncache`, or one of the explorer's own checks. */
export interface Violation {
  /** Invariant name, or `use-after-free`, `stale-translation-after-free`, `oops-on-promised-path`, `deadlock`, `model-error`,
   * `mappings-unbalanced-at-end`. */
  readonly name: string;
  readonly kind: 'invariant' | 'use-after-free' | 'stale-after-free' | 'oops' | 'deadlock' | 'error' | 'end';
  readonly cache?: string;
  readonly detail: string;
}

interface ThreadSlot {
  readonly name: string;
  readonly t: SimThread;
  readonly ops: readonly ScenarioStep[];
  next: number;
  opIndex: number;
  busy: boolean;
}

const opLabel = (s: ScenarioStep): string => (s.cache ? `${s.op} ${s.cache}` : s.op);

/**
 * One run of a scenario under a schedule the caller picks step by step: a fresh world, each
 * thread's ops started in turn, each step checked. With footprints on, the world is instrumented
 * and every step returns the objects it read and wrote.
 */
export class ScheduleRun {
  readonly world: ScenarioWorld;
  readonly events: StepEvent[] = [];
  private readonly slots: ThreadSlot[];
  private readonly byName = new Map<string, ThreadSlot>();
  /** The footprint recorder (null without footprints); its `unruled` names fields without a rule. */
  readonly rec: Recorder | null;
  /** Installed at the first step that records (a replayed prefix needs none). */
  private inst: WorldInstrumentation | null = null;
  private readonly vmMms: Set<Mm>;
  /** The host's observation of the steps since the last check (a replayed prefix is checked once, at its end). */
  private observer: StepObserver;
  /** The caches named by the ops of those steps. */
  private stepCaches: (string | undefined)[] = [];
  private readonly ignore: ReadonlySet<string>;

  /**
   * footprints: instrument the world and record each step's reads and writes. snapshots: keep
   * the caches' state in every event (for traces); searches turn it off and replay the schedule
   * they report with it on.
   */
  constructor(
    scenario: Scenario,
    ops: readonly ThreadOps[],
    options: WorldOptions,
    footprints: boolean,
    private readonly snapshots = true,
  ) {
    this.world = new ScenarioWorld(scenario, {
      registry: options.registry,
      ...(options.backend !== undefined ? { backend: options.backend } : {}),
      ...(options.gpcClass ? { gpcClass: options.gpcClass } : {}),
    });
    const sched = this.world.kvm.scheduler;
    this.slots = ops.map((o) => ({
      name: o.name,
      t: sched.thread(o.name),
      ops: o.ops,
      next: 0,
      opIndex: -1,
      busy: false,
    }));
    for (const s of this.slots) this.byName.set(s.name, s);
    this.vmMms = new Set([...this.world.vms.values()].map((v: Vm) => v.mm));
    this.observer = this.world.observe();
    this.ignore = new Set(options.ignore ?? []);
    this.rec = footprints ? new Recorder() : null;
  }

  /** Threads that can take a step now (in scenario order): runnable, or idle with ops left. */
  enabled(): string[] {
    const out: string[] = [];
    for (const s of this.slots) {
      if (s.busy ? s.t.runnable : s.next < s.ops.length) out.push(s.name);
    }
    return out;
  }

  /** The op a thread is in (busy) or would start next, as an index in its list. */
  position(name: string): number {
    const s = this.byName.get(name);
    if (!s) throw new Error(`no thread ${name}`);
    return s.busy ? s.opIndex : s.next;
  }

  /** Every thread has run every op to the end. */
  finished(): boolean {
    return this.slots.every((s) => !s.busy && s.next >= s.ops.length);
  }

  /** Threads with work left that cannot run, and what they wait for. */
  waiting(): string[] {
    return this.slots
      .filter((s) => s.busy && !s.t.runnable)
      .map((s) => `${s.name} (${s.t.lastYield?.label ?? 'blocked'})`);
  }

  caches(): CacheState[] {
    return [...this.world.caches.values()].map((g) => ({
      name: g.name,
      active: g.active,
      valid: g.valid,
      pfn: g.pfn === KVM_PFN_ERR_FAULT ? null : g.pfn,
      khva: g.khva === NULL_KHVA ? null : formatVa(g.khva),
    }));
  }

  /**
   * Run thread `name` to its next yield point (starting its next op if it is idle). With
   * footprints on, the step's reads and writes come back, unless `record` is false (a step
   * whose footprint the caller already knows).
   */
  step(name: string, record = true): { event: StepEvent; footprint: Footprint | null } {
    const s = this.byName.get(name);
    if (!s) throw new Error(`no thread ${name}`);
    let started = false;
    let error: string | undefined;
    const rec = record ? this.rec : null;
    if (rec && !this.inst) this.inst = new WorldInstrumentation(rec, this.world);
    rec?.begin();
    try {
      if (!s.busy) {
        const op = s.ops[s.next];
        if (!op) throw new Error(`thread ${name} has no op left`);
        s.opIndex = s.next++;
        s.busy = true;
        started = true;
        s.t.start(opBody(this.world, s.t, op));
      }
      // Whether the thread may run is part of what its step reads (a blocked yield's condition).
      if (!s.t.runnable) throw new Error(`thread ${name} is not runnable`);
      this.world.kvm.scheduler.step(s.t);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const footprint = rec ? rec.end() : null;
    this.inst?.refresh();
    const op = s.ops[s.opIndex]!;
    this.stepCaches.push(op.cache);
    const finished = s.t.done || error !== undefined;
    const y = finished ? null : s.t.lastYield;
    const event: StepEvent = {
      step: this.events.length + 1,
      thread: name,
      opIndex: s.opIndex,
      op: opLabel(op),
      started,
      yieldKind: y?.kind ?? null,
      label: y ? (y.label ?? null) : null,
      ...(finished && error === undefined ? { result: resultOf(s.t.result) } : {}),
      ...(error !== undefined ? { error } : {}),
      caches: this.snapshots ? this.caches() : [],
    };
    if (finished) s.busy = false;
    this.events.push(event);
    return { event, footprint };
  }

  /**
   * The checks after a step (the host's one observation of the steps since the last check): the gpc
   * invariants, use-after-free accesses, oopses, errors.
   */
  check(event: StepEvent): Violation[] {
    const out: Violation[] = [];
    if (event.error !== undefined) {
      out.push({ name: 'model-error', kind: 'error', detail: `${event.thread} ${event.op}: ${event.error}` });
    }
    const caches = this.stepCaches.map((name) =>
      name === undefined ? undefined : this.world.caches.get(name),
    );
    const seen = this.observer.end(caches);
    this.stepCaches = [];
    this.observer = this.world.observe();
    for (const v of seen.broken ?? []) {
      out.push({ name: v.invariant, kind: 'invariant', cache: v.cache, detail: v.detail });
    }
    if (seen.useAfterFreeAccesses !== undefined) {
      out.push({
        name: 'use-after-free',
        kind: 'use-after-free',
        detail: `${event.thread} ${event.op}: ${seen.useAfterFreeAccesses} access(es) to a freed or reused frame`,
      });
    }
    const traits = this.world.backend.traits;
    // A per-access backend (mermap) promises nothing after its put: its caller must flush before
    // the pages are freed, so any translation it left that outlives its page breaks the contract.
    if (traits.kind === 'per-access' && seen.useAfterFreeWindows !== undefined) {
      out.push({
        name: 'stale-translation-after-free',
        kind: 'stale-after-free',
        detail: `${event.thread} ${event.op}: ${seen.useAfterFreeWindows} translation(s) left by ${this.world.backend.name} outlive the page they map`,
      });
    }
    const m = this.world.machine;
    for (const rec of seen.oops ?? []) {
      const foreign = !this.vmMms.has(m.cpu(rec.cpu).loadedMm as Mm);
      const promised =
        (rec.mode !== 'irq' || traits.usableFromIrq) && (!foreign || traits.usableFromForeignMm);
      if (promised) {
        out.push({
          name: 'oops-on-promised-path',
          kind: 'oops',
          detail: `${rec.who} on cpu ${rec.cpu} (${rec.mode}${foreign ? ', foreign mm' : ''}): ${rec.reason}; ${this.world.backend.name} claims this context works`,
        });
      }
    }
    return this.ignore.size > 0 ? out.filter((v) => !this.ignore.has(v.name)) : out;
  }

  /** Checks when no thread can run: a deadlock, or (all done) the mapping balance. */
  endCheck(): Violation[] {
    const out = this.endViolations();
    return this.ignore.size > 0 ? out.filter((v) => !this.ignore.has(v.name)) : out;
  }

  private endViolations(): Violation[] {
    if (!this.finished()) {
      return [
        {
          name: 'deadlock',
          kind: 'deadlock',
          detail: `no thread can run; waiting: ${this.waiting().join(', ')}`,
        },
      ];
    }
    const caches = [...this.world.caches.values()];
    if (caches.length === 0 || caches.some((g) => g.active)) return [];
    let made = 0;
    let unmapped = 0;
    for (const g of caches) {
      made += g.counters.mapCalls - g.counters.mapFailures;
      unmapped += g.counters.unmapCalls;
    }
    return made === unmapped
      ? []
      : [
          {
            name: 'mappings-unbalanced-at-end',
            kind: 'end',
            detail: `every cache is deactivated but ${made} mapping(s) were made and ${unmapped} unmapped`,
          },
        ];
  }
}
