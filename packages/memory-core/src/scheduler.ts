import type { Cpu, ExecContext, ExecMode } from './cpu.ts';
import { ModelUsageError } from './errors.ts';
import type { Machine } from './machine.ts';
import type { Mm } from './mm.ts';
import { Prng } from './prng.ts';

/** Why a thread stopped: where the kernel could be preempted, sleep, drop a lock, or wait. */
export type YieldKind = 'preempt' | 'sleep' | 'lock-drop' | 'blocked';

export interface YieldPoint {
  readonly kind: YieldKind;
  /** A name for the point (e.g. 'lock-drop'), used by scenarios' pauseAt. */
  readonly label?: string;
  /** For 'blocked': the thread can run again once this holds. */
  readonly until?: () => boolean;
}

export type ThreadBody<R = unknown> = Generator<YieldPoint, R, void>;

/**
 * Thread kinds: a vCPU or a VMM thread (the VM's mm), another process (its own mm), a hard IRQ
 * (atomic, in whatever mm the CPU has loaded), a kernel thread (borrows the loaded mm: lazy TLB).
 */
export type ThreadKind = 'vcpu' | 'host' | 'process' | 'irq' | 'kthread';

export interface ThreadSpec {
  readonly name: string;
  readonly kind: ThreadKind;
  readonly cpu: number;
  /** The thread's own mm (null for irq and kthread). */
  readonly mm: Mm | null;
}

export class SimThread {
  cpu: Cpu;
  /** Current execution mode; a thread raises it to 'atomic' while it holds a spinning lock. */
  mode: ExecMode;
  /** Spinning locks held (RwLock keeps it, like preempt_count) and the mode before the first. */
  spinDepth = 0;
  spinSavedMode: ExecMode = 'process';
  private body: ThreadBody | null = null;
  lastYield: YieldPoint | null = null;
  done = true;
  result: unknown;

  constructor(
    readonly spec: ThreadSpec,
    cpu: Cpu,
  ) {
    this.cpu = cpu;
    this.mode = spec.kind === 'irq' ? 'irq' : 'process';
  }

  get name(): string {
    return this.spec.name;
  }

  get kind(): ThreadKind {
    return this.spec.kind;
  }

  /** The context handed out last: the same object while the thread stays on its CPU in its mode. */
  #ctx: ExecContext | null = null;

  /** Where the thread runs now (a snapshot: a later migration or mode change makes a new one). */
  get ctx(): ExecContext {
    const last = this.#ctx;
    if (last !== null && last.cpu === this.cpu && last.mode === this.mode) return last;
    const ctx: ExecContext = Object.freeze({
      cpu: this.cpu,
      mode: this.mode,
      who: this.spec.name,
      mm: this.spec.mm,
    });
    this.#ctx = ctx;
    return ctx;
  }

  /** Hand the thread a new piece of work (it must have finished the previous one). */
  start(body: ThreadBody): void {
    if (!this.done) throw new ModelUsageError(`thread ${this.name} is still running its previous work`);
    this.body = body;
    this.done = false;
    this.lastYield = null;
    this.result = undefined;
  }

  get runnable(): boolean {
    if (this.done || !this.body) return false;
    const y = this.lastYield;
    return !(y?.kind === 'blocked' && y.until && !y.until());
  }

  /** Advance to the next yield point. */
  advance(): void {
    if (!this.body || this.done) throw new ModelUsageError(`thread ${this.name} has nothing to run`);
    const r = this.body.next();
    if (r.done) {
      this.done = true;
      this.result = r.value;
      this.body = null;
      this.lastYield = null;
    } else {
      this.lastYield = r.value;
    }
  }
}

/**
 * A deterministic scheduler: threads are generators that yield wherever the kernel could be
 * preempted, sleep or drop a lock. `runRandom` picks the next thread with a seeded PRNG;
 * `replay` follows a schedule (a list of thread names); both record the schedule they ran.
 */
export class Scheduler {
  readonly threads = new Map<string, SimThread>();
  readonly schedule: string[] = [];
  private readonly prng: Prng;

  constructor(
    readonly machine: Machine,
    seed = 1,
  ) {
    this.prng = new Prng(seed);
  }

  spawn(spec: ThreadSpec): SimThread {
    if (this.threads.has(spec.name)) throw new ModelUsageError(`thread ${spec.name} already exists`);
    const t = new SimThread(spec, this.machine.cpu(spec.cpu));
    this.threads.set(spec.name, t);
    return t;
  }

  // Models a task's exit (do_exit, then release_task): the scheduler forgets the thread, so nothing
  // it keeps holds the thread's mm any longer. Unlike the kernel, a thread must be idle to exit.
  exit(t: SimThread): void {
    if (this.threads.get(t.name) !== t)
      throw new ModelUsageError(`thread ${t.name} is not on this scheduler`);
    if (!t.done) throw new ModelUsageError(`thread ${t.name} cannot exit in the middle of its work`);
    this.threads.delete(t.name);
  }

  thread(name: string): SimThread {
    const t = this.threads.get(name);
    if (!t)
      throw new ModelUsageError(`no thread named ${name}; threads: ${[...this.threads.keys()].join(', ')}`);
    return t;
  }

  /** Move a thread to another CPU (migration); takes effect the next time it runs. */
  migrate(t: SimThread, cpu: number): void {
    t.cpu = this.machine.cpu(cpu);
  }

  // Models the context switch onto the thread's CPU: a user thread loads its mm; a kernel
  // thread keeps whatever is loaded (lazy TLB); an IRQ interrupts whatever runs there.
  enter(t: SimThread): void {
    if ((t.kind === 'vcpu' || t.kind === 'host' || t.kind === 'process') && t.spec.mm) {
      this.machine.switchMm(t.cpu, t.spec.mm);
    }
    t.cpu.current = t.name;
    this.machine.currentCpu = t.cpu.id;
  }

  /** Run one thread to its next yield point (recorded in `schedule`: it chose among threads). */
  step(t: SimThread): void {
    if (!t.runnable) throw new ModelUsageError(`thread ${t.name} is not runnable`);
    this.enter(t);
    this.schedule.push(t.name);
    t.advance();
  }

  /**
   * Run a thread until its work completes (other threads do not run meanwhile). Not recorded in
   * `schedule`: there was no choice to replay, and a long run would otherwise keep one entry per
   * step for ever (memory growing with the number of events).
   */
  runToCompletion(t: SimThread, maxSteps = 100_000): unknown {
    for (let i = 0; i < maxSteps && !t.done; i++) {
      if (!t.runnable) throw new ModelUsageError(`thread ${t.name} blocked with no other thread running`);
      this.enter(t);
      t.advance();
    }
    if (!t.done) throw new ModelUsageError(`thread ${t.name} did not finish in ${maxSteps} steps`);
    return t.result;
  }

  runnable(): SimThread[] {
    return [...this.threads.values()].filter((t) => t.runnable);
  }

  /** Run until every thread is done, choosing among runnable threads at random (seeded). */
  runRandom(maxSteps = 1_000_000): void {
    for (let i = 0; i < maxSteps; i++) {
      const ready = this.runnable();
      if (ready.length === 0) {
        const stuck = [...this.threads.values()].filter((t) => !t.done);
        if (stuck.length > 0)
          throw new ModelUsageError(`deadlock: ${stuck.map((t) => t.name).join(', ')} blocked`);
        return;
      }
      this.step(this.prng.pick(ready));
    }
    throw new ModelUsageError(`schedule did not finish in ${maxSteps} steps`);
  }

  /** Follow a recorded schedule; throws if a named thread cannot run at its turn. */
  replay(order: readonly string[]): void {
    for (const name of order) this.step(this.thread(name));
  }
}

/**
 * Run a body outside any schedule, to its end: preemption and lock-drop points pass straight
 * through; a body that would block (no other thread could ever release it) is an error.
 */
export function runAlone<R>(body: ThreadBody<R>): R {
  for (;;) {
    const r = body.next();
    if (r.done) return r.value;
    if (r.value.kind === 'blocked' && !(r.value.until?.() ?? true)) {
      throw new ModelUsageError(`blocked on ${r.value.label ?? 'a lock'} with no other thread to release it`);
    }
  }
}
