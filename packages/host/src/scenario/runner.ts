import type { BackendFactory, BackendRegistry } from '@khva/backend-api';
import { isErrno, type Vm } from '@khva/kvm';
import {
  type AccessOutcome,
  type AccessRecord,
  formatVa,
  parseVa,
  type SimThread,
  type ThreadBody,
} from '@khva/memory-core';
import { type GfnToPfnCache, gpcUse, KVM_PFN_ERR_FAULT, NULL_KHVA } from '@khva/pfncache';
import { Host } from '../host.ts';
import { type StepDeltas, totals } from '../observe.ts';
import type { Scenario, ScenarioExpect, ScenarioStep } from './schema.ts';

export interface RunScenarioOptions {
  /**
   * Where the file's `backend` name (or `backend` below) is looked up, once, here at the edge; the
   * world is then handed the factory. Not needed when `factory` is given.
   */
  readonly registry?: BackendRegistry;
  /** Run with this backend instead of the file's `backend`. */
  readonly backend?: string;
  /** Run with this backend factory (its name replaces the file's `backend`). */
  readonly factory?: BackendFactory<object>;
  /** Build gpcs with this constructor (tests use it to run deliberately broken variants). */
  readonly gpcClass?: typeof GfnToPfnCache;
  /** Called after every step with the world and its trace line (the timeline records the state here). */
  readonly onStep?: (world: ScenarioWorld, entry: TraceEntry) => void;
}

/** One line of the trace: the step, its outcome, the cache after it, what it cost. */
export interface TraceEntry {
  step: number;
  thread: string;
  op: string;
  result: 0 | boolean | string;
  cache?: string;
  active?: boolean;
  valid?: boolean;
  pfn?: number | null;
  khva?: string | null;
  deltas: StepDeltas;
  oops?: AccessRecord[];
  faults?: AccessRecord[];
  useAfterFree?: boolean;
  stale?: boolean;
  staleAfterFree?: boolean;
  violations: string[];
  error?: string;
}

export interface ScenarioFailure {
  readonly step: number;
  readonly thread: string;
  readonly op: string;
  readonly key: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly message: string;
}

export interface ScenarioRun {
  readonly ok: boolean;
  readonly backend: string;
  readonly trace: TraceEntry[];
  readonly failure?: ScenarioFailure;
}

interface Pending {
  readonly op: string;
  readonly cache: string | undefined;
}

/** Resolve the backend a run uses: the factory given, else the name (option or file) in the registry. */
export function scenarioBackend(scenario: Scenario, options: RunScenarioOptions): BackendFactory<object> {
  if (options.factory) return options.factory;
  const name = options.backend ?? scenario.backend;
  if (!options.registry)
    throw new TypeError(`scenario backend "${name}": give options.registry or options.factory`);
  return options.registry.get(name);
}

/** The model world a scenario builds, as a preset over Host: VMs, threads, caches from the file. */
export class ScenarioWorld extends Host {
  readonly pending = new Map<string, Pending>();
  /** The length each cache's caller last checked (activate, refresh, check): its accesses stay within it. */
  readonly checkedLen = new Map<string, number>();
  lastAccess: AccessOutcome | null = null;

  constructor(
    readonly scenario: Scenario,
    readonly options: RunScenarioOptions,
  ) {
    const s = scenario;
    super({
      machine: {
        cpus: s.machine.cpus,
        ...(s.machine.tlbEntries ? { tlbEntries: s.machine.tlbEntries } : {}),
        ...(s.machine.memGiB ? { memGiB: s.machine.memGiB } : {}),
        ...(s.machine.freePageblocks ? { freePageblocks: s.machine.freePageblocks } : {}),
      },
      kernel: s.kernel,
      seed: s.seed ?? 1,
      backend: scenarioBackend(s, options),
      ...(options.gpcClass ? { gpcClass: options.gpcClass } : {}),
    });
    // The housekeeping kthread comes first, whether or not a VM needs it (thread order is state).
    this.kvm.kthread();
    for (const v of s.vms) {
      this.addVm({
        name: v.name,
        memslots: v.memslots.map((ms) => ({
          slot: ms.slot,
          gfn: parseVa(ms.gfn),
          pages: ms.pages,
          backing: ms.backing,
          hva: parseVa(ms.hva),
          gmemFlags: { mmap: ms.flags.includes('mmap'), noDirectMap: ms.flags.includes('no-direct-map') },
          ...(ms.vmmMapped !== undefined ? { vmmMapped: ms.vmmMapped } : {}),
          ...(ms.sensitivity ? { sensitivity: ms.sensitivity } : {}),
        })),
        mappings: v.mappings.map((mp) => ({ hva: parseVa(mp.hva), pages: mp.pages })),
      });
    }
    // Threads are placed on their CPUs in the order written: the last one is what runs there.
    for (const th of s.threads) {
      this.addThread({
        name: th.name,
        kind: th.kind,
        cpu: th.cpu,
        ...(th.vm !== undefined ? { vm: th.vm } : {}),
      });
    }
  }

  vmFor(step: ScenarioStep): Vm {
    const vm = step.vm ? this.vms.get(step.vm) : this.threadVm.get(step.thread);
    if (!vm) throw new Error(`step needs a VM: name one with vm: (thread ${step.thread} belongs to none)`);
    return vm;
  }

  cache(name: string | undefined, step: ScenarioStep, create: boolean): GfnToPfnCache {
    if (!name) throw new Error(`op ${step.op} needs cache:`);
    const c = this.caches.get(name);
    if (c) return c;
    // An unknown name is a new, initialised cache (kvm_gpc_init); only raw accesses need a khva.
    if (!create) throw new Error(`cache ${name} was never used before this ${step.op}`);
    return this.createCache(name, this.vmFor(step));
  }

  totals(): StepDeltas {
    return totals(this.machine, this.caches.values());
  }
}

/** A step's result as traces and `expect` write it: a boolean, 0, or the errno's name. */
export const resultOf = (r: unknown): 0 | boolean | string =>
  typeof r === 'boolean' ? r : r === 0 || r === undefined ? 0 : isErrno(r) ? r.errno : String(r);

/**
 * A kernel caller touches the mapping only within the `len` it passed to kvm_gpc_check(); the model
 * refuses an access past it instead of letting it land silently in whatever follows (the next page).
 */
function withinCheckedLen(offset: number, bytes: number, checked: number, cache: string): void {
  if (offset + bytes > checked)
    throw new Error(
      `access of ${bytes} bytes at offset ${offset} goes past the ${checked} bytes checked for cache ${cache} (kvm_gpc_check len); check a longer len first`,
    );
}

/**
 * Build the generator for a step's op (not `resume`) on thread t, without running it. Exported so
 * that a driver other than `runScenario` (the explorer in `@khva/explorer`) can choose the
 * schedule itself: build a `ScenarioWorld`, start `opBody(world, thread, step)` on the thread and
 * step it with the world's scheduler.
 */
export function opBody(w: ScenarioWorld, t: SimThread, step: ScenarioStep): ThreadBody<unknown> {
  const len = step.len ?? 8;
  if (step.cache !== undefined && ['activate', 'activate-hva', 'refresh', 'check'].includes(step.op))
    w.checkedLen.set(step.cache, len);
  switch (step.op) {
    case 'activate':
      if (step.gpa === undefined) throw new Error('activate needs gpa:');
      return w.cache(step.cache, step, true).activate(t, parseVa(step.gpa), len);
    case 'activate-hva':
      if (step.hva === undefined) throw new Error('activate-hva needs hva:');
      return w.cache(step.cache, step, true).activateHva(t, parseVa(step.hva), len);
    case 'check': {
      const g = w.cache(step.cache, step, true);
      return (function* () {
        yield* g.lock.readLock(t);
        const ok = g.check(len, t.ctx);
        g.lock.readUnlock(t);
        return ok;
      })();
    }
    case 'refresh':
      return w.cache(step.cache, step, true).refresh(t, len);
    case 'deactivate':
      return w.cache(step.cache, step, true).deactivate(t);
    case 'read':
    case 'write': {
      const g = w.cache(step.cache, step, false);
      const op = step.op;
      withinCheckedLen(step.offset ?? 0, step.bytes ?? 8, w.checkedLen.get(g.name) ?? 0, g.name);
      return (function* () {
        if (g.khva === NULL_KHVA && !g.perAccess)
          throw new Error(`cache ${g.name} has no khva to ${op} through`);
        const out = g.access(
          t.ctx,
          step.offset ?? 0,
          step.bytes ?? 8,
          op,
          new Uint8Array(step.bytes ?? 8).fill(0xa5),
        );
        if (out.ok) w.lastAccess = out;
        return out.ok ? 0 : out.kind === 'cannot' ? 'EWOULDBLOCK' : 'EFAULT';
      })();
    }
    case 'use': {
      const g = w.cache(step.cache, step, true);
      withinCheckedLen(step.offset ?? 0, step.bytes ?? len, len, g.name);
      return (function* () {
        const out = yield* gpcUse(t, g, {
          len,
          op: 'write',
          offset: step.offset ?? 0,
          bytes: step.bytes ?? len,
          atomic: step.atomic ?? t.kind === 'irq',
        });
        if (out.access?.ok) w.lastAccess = out.access;
        if (out.access && !out.access.ok) return 'EFAULT';
        return out.result;
      })();
    }
    case 'munmap':
      if (step.hva === undefined) throw new Error('munmap needs hva:');
      return w.vmFor(step).munmap(t, parseVa(step.hva), step.pages ?? 1);
    case 'migrate-page':
      if (step.hva === undefined) throw new Error('migrate-page needs hva:');
      return w.vmFor(step).migratePage(t, parseVa(step.hva));
    case 'punch-hole': {
      const vm = w.vmFor(step);
      const slot = vm.memslots.slots.get(step.slot ?? -1);
      if (!slot?.gmem) throw new Error(`punch-hole: slot ${step.slot} of ${vm.name} is not a gmem slot`);
      return slot.gmem.punchHole(t, slot.gmemPgoff + (step.page ?? 0), step.pages ?? 1);
    }
    case 'set-memslot': {
      const vm = w.vmFor(step);
      const id = step.slot;
      if (id === undefined) throw new Error('set-memslot needs slot:');
      if (step.delete) return vm.deleteMemslot(t, id);
      const old = vm.memslots.slots.get(id);
      if (!old) {
        if (step.hva === undefined || step.gfn === undefined || step.pages === undefined) {
          throw new Error('set-memslot creating a slot needs gfn:, pages: and hva:');
        }
        return vm.setMemslot(t, {
          slot: id,
          gfn: parseVa(step.gfn),
          pages: step.pages,
          backing: 'anon',
          hva: parseVa(step.hva),
        });
      }
      return vm.setMemslot(t, {
        slot: id,
        gfn: step.gfn !== undefined ? parseVa(step.gfn) : old.baseGfn,
        pages: step.pages ?? old.npages,
        backing: old.backing,
        hva: old.userspaceAddr,
      });
    }
    case 'set-attributes':
      if (step.gfn === undefined) throw new Error('set-attributes needs gfn:');
      return w.vmFor(step).setMemoryAttributes(t, parseVa(step.gfn), step.pages ?? 1, step.private ?? true);
    case 'run':
      return (function* () {
        if (step.cpu === undefined) throw new Error('run needs cpu:');
        w.kvm.scheduler.migrate(t, step.cpu);
        yield { kind: 'preempt', label: 'migrated' };
        return 0;
      })();
    case 'purge':
      return (function* () {
        w.backend.purge?.(t.cpu);
        return 0;
      })();
    case 'resume':
      throw new Error('resume is handled by the runner');
  }
}

/** Run a thread until its work is done, it pauses at the label, or it blocks. */
function drive(
  w: ScenarioWorld,
  t: SimThread,
  pauseAt: string | undefined,
  passed: Set<string>,
): 'done' | 'paused' | 'blocked' {
  for (let i = 0; i < 100_000; i++) {
    if (t.done) return 'done';
    if (!t.runnable) return 'blocked';
    w.kvm.scheduler.step(t);
    const label = t.lastYield?.label;
    if (!t.done && label !== undefined) passed.add(label);
    if (!t.done && pauseAt !== undefined && label === pauseAt) return 'paused';
  }
  throw new Error(`thread ${t.name} did not finish in 100000 steps`);
}

function compare(expected: unknown, actual: unknown): boolean {
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return JSON.stringify([...expected].sort()) === JSON.stringify([...actual].sort());
  }
  return expected === actual;
}

function sameChanged(before: number, after: number, none: number): 'same' | 'changed' | 'none' {
  if (after === none) return 'none';
  return before === after ? 'same' : 'changed';
}

// Runs a scenario: each step on its thread, in the order written; a step with pauseAt stops at
// that yield point; `resume` continues. After each step the trace records the cache, the counter
// deltas, oopses/faults and invariant violations, and `expect` is checked.
export function runScenario(scenario: Scenario, options: RunScenarioOptions): ScenarioRun {
  const w = new ScenarioWorld(scenario, options);
  const trace: TraceEntry[] = [];
  const backend = w.factory.name;
  for (const [i, step] of scenario.steps.entries()) {
    const t = w.kvm.scheduler.thread(step.thread);
    const pending = w.pending.get(step.thread);
    const cacheName = step.cache ?? (step.op === 'resume' ? pending?.cache : undefined);
    const before = cacheName ? w.caches.get(cacheName) : undefined;
    const pfnBefore = before?.pfn ?? KVM_PFN_ERR_FAULT;
    const khvaBefore = before?.khva ?? NULL_KHVA;
    const observer = w.observe();
    w.lastAccess = null;
    let result: 0 | boolean | string;
    let error: string | undefined;
    try {
      if (step.op === 'resume') {
        if (!pending) throw new Error(`thread ${step.thread} has nothing paused to resume`);
      } else {
        if (pending) throw new Error(`thread ${step.thread} is still in ${pending.op}; resume it first`);
        t.start(opBody(w, t, step));
        w.pending.set(step.thread, { op: step.op, cache: step.cache });
      }
      const passed = new Set<string>();
      const state = drive(w, t, step.pauseAt, passed);
      // A pause point the op never reaches is a typo or a misunderstanding, not a step to run through.
      if (state === 'done' && step.pauseAt !== undefined)
        throw new Error(
          `pauseAt ${JSON.stringify(step.pauseAt)}: the op finished without reaching that yield point (it passed: ${[...passed].join(', ') || 'none'})`,
        );
      if (state === 'done') {
        w.pending.delete(step.thread);
        const r = t.result;
        result = resultOf(r);
      } else {
        result = state;
      }
    } catch (e) {
      error = (e as Error).message;
      result = 'error';
    }
    const cache = cacheName ? w.caches.get(cacheName) : undefined;
    // The caches the op ran on; an invalidation or a PTE change reaches the others through the tracker.
    const seen = observer.end([
      cache,
      pending?.cache === undefined ? undefined : w.caches.get(pending.cache),
    ]);
    const entry: TraceEntry = {
      step: i + 1,
      thread: step.thread,
      op: step.op,
      result,
      deltas: seen.deltas,
      violations: seen.violations,
    };
    if (cache) {
      entry.cache = cache.name;
      entry.active = cache.active;
      entry.valid = cache.valid;
      entry.pfn = cache.pfn === KVM_PFN_ERR_FAULT ? null : cache.pfn;
      entry.khva = cache.khva === NULL_KHVA ? null : formatVa(cache.khva);
    }
    if (seen.oops) entry.oops = seen.oops;
    if (seen.faults) entry.faults = seen.faults;
    const uaf = seen.useAfterFree;
    if (uaf) entry.useAfterFree = true;
    const lastAccess = w.lastAccess as AccessOutcome | null;
    if (lastAccess?.ok && lastAccess.stale) entry.stale = true;
    if (seen.staleAfterFree) entry.staleAfterFree = true;
    if (error) entry.error = error;
    trace.push(entry);
    options.onStep?.(w, entry);
    if (error) {
      const failure: ScenarioFailure = {
        step: i + 1,
        thread: step.thread,
        op: step.op,
        key: 'error',
        expected: 'no error',
        actual: error,
        message: `step ${i + 1} (${step.thread} ${step.op}): ${error}`,
      };
      return { ok: false, backend, trace, failure };
    }
    const exp: ScenarioExpect = step.expect ?? {};
    const actual: Record<string, unknown> = {
      result,
      valid: cache?.valid,
      active: cache?.active,
      pfn: cache ? sameChanged(pfnBefore, cache.pfn, KVM_PFN_ERR_FAULT) : undefined,
      khva: cache ? sameChanged(khvaBefore, cache.khva, NULL_KHVA) : undefined,
      oops: entry.oops !== undefined,
      fault: entry.faults !== undefined,
      useAfterFree: uaf,
      stale: entry.stale === true,
      staleAfterFree: entry.staleAfterFree === true,
      ...entry.deltas,
      violations: entry.violations,
    };
    for (const [key, expected] of Object.entries(exp)) {
      if (expected === undefined) continue;
      const got = actual[key];
      if (!compare(expected, got)) {
        const failure: ScenarioFailure = {
          step: i + 1,
          thread: step.thread,
          op: step.op,
          key,
          expected,
          actual: got,
          message: `step ${i + 1} (${step.thread} ${step.op}): expected ${key} ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`,
        };
        return { ok: false, backend, trace, failure };
      }
    }
  }
  return { ok: true, backend, trace };
}
