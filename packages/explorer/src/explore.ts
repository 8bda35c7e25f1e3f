import type { BackendRegistry } from '@khva/backend-api';
import type { Scenario } from '@khva/host/scenario';
import type { GfnToPfnCache } from '@khva/pfncache';
import { buildCounterexample, type Counterexample } from './counterexample.ts';
import { dependent, type Footprint } from './footprint.ts';
import { ScheduleRun, type ThreadOps, threadOps, type Violation, type WorldOptions } from './world.ts';

export interface ExploreOptions {
  readonly registry: BackendRegistry;
  /** Run with this backend instead of the scenario's `backend`. */
  readonly backend?: string;
  /** Schedules to run at most (default 20000). */
  readonly maxSchedules?: number;
  /** Scheduler steps per schedule at most (default 400); deeper schedules are cut and counted. */
  readonly maxDepth?: number;
  /** Sleep-set partial-order reduction (default true). */
  readonly reduction?: boolean;
  /**
   * After the first violation keep searching, within the budget, for a shorter one (default
   * true). With false the search stops at the first violation.
   */
  readonly minimize?: boolean;
  /** Build the caches with this class (tests use deliberately broken subclasses). */
  readonly gpcClass?: typeof GfnToPfnCache;
  /** Names of checks not to report (known findings, while they are being fixed). */
  readonly ignore?: readonly string[];
  /** Called at the end of every schedule run (for statistics, or to compare final states). */
  readonly onLeaf?: (leaf: Leaf) => void;
  /**
   * Polled before every schedule: true ends the search there (an interrupt, a wall-clock budget). The
   * result says how far it got (`stopped`, `explored`, `violating`) and keeps the shortest violation so far.
   */
  readonly shouldStop?: () => boolean;
}

/** exploreAsync's options: explore's, and how long it runs between yields to the event loop. */
export interface ExploreAsyncOptions extends ExploreOptions {
  /** Milliseconds of search between yields (default 20), so a signal handler or a UI can run. */
  readonly sliceMs?: number;
  /** Called at every yield with how far the search got (a progress line, a UI counter). */
  readonly onSlice?: (progress: ExploreProgress) => void;
}

/** How far a search got: schedules run, and how many of them ended in a violation. */
export interface ExploreProgress {
  readonly explored: number;
  readonly violating: number;
}

/** How a schedule ended. */
export interface Leaf {
  readonly run: ScheduleRun;
  /** complete: every op ran to its end; cut: the depth bound; reduced: every enabled thread slept. */
  readonly end: 'complete' | 'violation' | 'cut' | 'reduced';
  readonly violations: readonly Violation[];
}

export interface ExploreResult {
  readonly scenario: string;
  readonly backend: string;
  readonly reduction: boolean;
  /** Schedules run, each from a fresh world (complete, cut by the depth bound, or ended by the reduction). */
  readonly explored: number;
  /** Of those, schedules in which every thread ran every op to its end. */
  readonly complete: number;
  /** Branches not taken because the reduction showed them equivalent to one already explored. */
  readonly pruned: number;
  /** Schedules cut at maxDepth (or, while minimizing, at the length of the best counterexample). */
  readonly truncated: number;
  /** Scheduler steps executed, replays of prefixes included. */
  readonly steps: number;
  /** Longest schedule seen (steps). */
  readonly longest: number;
  /** Every schedule (up to the reduction) was covered within the budget and maxDepth. */
  readonly exhaustive: boolean;
  /** Schedules that ended in a violation (while minimizing, each shorter than the one before). */
  readonly violating: number;
  /** shouldStop ended the search before the budget or the schedules ran out. */
  readonly stopped: boolean;
  readonly wallMs: number;
  /** Threads and how many ops each runs. */
  readonly threads: ReadonlyArray<{ readonly name: string; readonly ops: number }>;
  /** The shortest violating schedule found, if any. */
  readonly counterexample?: Counterexample;
}

/** A choice point of the depth-first search: the state after `depth` steps of the current schedule. */
interface Node {
  /** Threads whose next step is known to commute with everything since it was explored elsewhere. */
  readonly sleep: ReadonlyMap<string, Footprint>;
  /** Threads already explored from here, with their step's footprint. */
  readonly done: Map<string, Footprint>;
  readonly todo: string[];
  choice: string;
  fp: Footprint | null;
}

const EMPTY: Footprint = { reads: new Set(), writes: new Set() };

/**
 * Enumerate the interleavings of the scenario's threads: a stateless depth-first search over
 * which enabled thread takes the next step, each schedule run from a fresh world (the prefix
 * replayed), every check after every step. With `reduction`, sleep sets skip schedules that only
 * reorder independent steps (see the README for the independence relation); every reachable
 * state is still visited, so no violation is missed. The counterexample returned is the
 * shortest found: after a violation at depth L the search continues with depth bound L-1.
 */
export function explore(scenario: Scenario, options: ExploreOptions): ExploreResult {
  const search = exploreSchedules(scenario, options);
  for (;;) {
    const next = search.next();
    if (next.done) return next.value;
  }
}

/**
 * explore() that yields to the event loop every `sliceMs` of search, so that whatever sets `shouldStop`
 * (a signal handler, a Stop button) gets to run during a long search. Same schedules, same result.
 */
export async function exploreAsync(scenario: Scenario, options: ExploreAsyncOptions): Promise<ExploreResult> {
  const sliceMs = options.sliceMs ?? 20;
  const search = exploreSchedules(scenario, options);
  let sliceStart = performance.now();
  for (;;) {
    const next = search.next();
    if (next.done) return next.value;
    if (performance.now() - sliceStart >= sliceMs) {
      options.onSlice?.(next.value);
      await new Promise<void>((resume) => setTimeout(resume, 0));
      sliceStart = performance.now();
    }
  }
}

/** The search, one schedule per step of the generator (it yields how far it got after each). */
function* exploreSchedules(
  scenario: Scenario,
  options: ExploreOptions,
): Generator<ExploreProgress, ExploreResult> {
  const t0 = performance.now();
  const reduction = options.reduction ?? true;
  const maxSchedules = options.maxSchedules ?? 20_000;
  const maxDepth = options.maxDepth ?? 400;
  const minimize = options.minimize ?? true;
  const backend = options.backend ?? scenario.backend;
  const ops = threadOps(scenario);
  const world: WorldOptions = {
    registry: options.registry,
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.gpcClass ? { gpcClass: options.gpcClass } : {}),
    ...(options.ignore ? { ignore: options.ignore } : {}),
  };
  const path: Node[] = [];
  let bound = maxDepth;
  let explored = 0;
  let complete = 0;
  let pruned = 0;
  let truncated = 0;
  let cutByMaxDepth = false;
  let steps = 0;
  let longest = 0;
  /** The schedule of the shortest violating run so far. */
  let best: string[] | null = null;
  let finished = false;
  let violating = 0;
  let stopped = false;

  while (explored < maxSchedules) {
    if (explored > 0) yield { explored, violating };
    if (options.shouldStop?.() === true) {
      stopped = true;
      break;
    }
    explored++;
    const run = new ScheduleRun(scenario, ops, world, reduction, false);
    let violations: Violation[] = [];
    // Replay the prefix; only its last step is new (its checks ran when the prefix was first seen).
    for (let i = 0; i < path.length; i++) {
      const node = path[i]!;
      const { event, footprint } = run.step(node.choice, node.fp === null);
      steps++;
      if (node.fp === null) node.fp = footprint ?? EMPTY;
      if (i === path.length - 1) violations = run.check(event);
    }
    // Extend to a leaf.
    let end: Leaf['end'] = 'violation';
    while (violations.length === 0) {
      const enabled = run.enabled();
      if (enabled.length === 0) {
        violations = run.endCheck();
        if (violations.length === 0) {
          complete++;
          end = 'complete';
        }
        break;
      }
      if (path.length >= bound) {
        truncated++;
        if (bound === maxDepth) cutByMaxDepth = true;
        end = 'cut';
        break;
      }
      const parent = path[path.length - 1];
      const sleep = new Map<string, Footprint>();
      if (reduction && parent?.fp) {
        for (const [q, fq] of [...parent.sleep, ...parent.done]) {
          if (!dependent(fq, parent.fp)) sleep.set(q, fq);
        }
      }
      const candidates = enabled.filter((t) => !sleep.has(t));
      pruned += enabled.length - candidates.length;
      if (candidates.length === 0) {
        end = 'reduced';
        break;
      }
      const node: Node = {
        sleep,
        done: new Map(),
        todo: candidates.slice(1),
        choice: candidates[0]!,
        fp: null,
      };
      path.push(node);
      const { event, footprint } = run.step(node.choice);
      steps++;
      node.fp = footprint ?? EMPTY;
      violations = run.check(event);
    }
    if (violations.length > 0) end = 'violation';
    options.onLeaf?.({ run, end, violations });
    longest = Math.max(longest, run.events.length);
    if (violations.length > 0) violating++;
    if (violations.length > 0 && (best === null || run.events.length < best.length)) {
      best = run.events.map((e) => e.thread);
      if (!minimize) break;
      bound = run.events.length - 1;
    }
    // Backtrack to the deepest choice point with an alternative left (within the bound).
    while (path.length > bound) path.pop();
    while (path.length > 0) {
      const n = path[path.length - 1]!;
      n.done.set(n.choice, n.fp ?? EMPTY);
      const next = n.todo.shift();
      if (next !== undefined) {
        n.choice = next;
        n.fp = null;
        break;
      }
      path.pop();
    }
    if (path.length === 0) {
      finished = true;
      break;
    }
  }

  const result: ExploreResult = {
    scenario: scenario.name ?? '(unnamed)',
    backend,
    reduction,
    explored,
    complete,
    pruned,
    truncated,
    steps,
    longest,
    exhaustive: finished && !cutByMaxDepth,
    violating,
    stopped,
    wallMs: performance.now() - t0,
    threads: ops.filter((o) => o.ops.length > 0).map((o) => ({ name: o.name, ops: o.ops.length })),
    ...(best
      ? {
          counterexample: replay(
            scenario,
            ops,
            world,
            best,
            `@khva/explorer (${reduction ? 'sleep-set reduction' : 'no reduction'})`,
          ),
        }
      : {}),
  };
  return result;
}

/** Run a schedule again with the caches' state recorded at every step, and make it a counterexample. */
function replay(
  scenario: Scenario,
  ops: readonly ThreadOps[],
  world: WorldOptions,
  schedule: readonly string[],
  origin: string,
): Counterexample {
  const run = new ScheduleRun(scenario, ops, world, false, true);
  let violations: Violation[] = [];
  for (const t of schedule) violations = run.check(run.step(t).event);
  if (run.enabled().length === 0 && violations.length === 0) violations = run.endCheck();
  const backend = world.backend ?? scenario.backend;
  return buildCounterexample(scenario, ops, run.events, violations, backend, origin);
}

/** Run every thread alone, one after another, and count each one's steps (its yield points + 1 per op). */
export function soloSteps(
  scenario: Scenario,
  options: Pick<ExploreOptions, 'registry' | 'backend' | 'gpcClass'>,
): Record<string, number> {
  const ops: readonly ThreadOps[] = threadOps(scenario);
  const out: Record<string, number> = {};
  for (const o of ops) {
    if (o.ops.length === 0) continue;
    const only = ops.map((x) => (x.name === o.name ? x : { name: x.name, ops: [] }));
    const run = new ScheduleRun(scenario, only, { ...options }, false);
    let n = 0;
    while (run.enabled().length > 0) {
      run.step(o.name);
      n++;
    }
    out[o.name] = n;
  }
  return out;
}
