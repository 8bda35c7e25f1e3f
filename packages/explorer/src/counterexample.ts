import type { Scenario, ScenarioExpect, ScenarioStep } from '@khva/host/scenario';
import type { StepEvent, ThreadOps, Violation } from './world.ts';

/** A schedule that breaks a rule: the steps, what broke, and the same as a scenario file. */
export interface Counterexample {
  /** Thread names in the order they took their steps (the schedule). */
  readonly schedule: readonly string[];
  /** What broke after the last step. */
  readonly violations: readonly Violation[];
  /** Every step: thread, op, where it stopped, the caches after it. */
  readonly events: readonly StepEvent[];
  /** The scenario that replays it with `runScenario` / `khva-bench scenario`. */
  readonly scenario: Scenario;
  /** The same scenario as YAML text. */
  readonly yaml: string;
  /** Steps of the replay scenario (a step runs one thread up to a `pauseAt` or to its end). */
  readonly scenarioSteps: number;
  /** False if some stop has no yield label, so `pauseAt` cannot express it (none do today). */
  readonly replayable: boolean;
  /** The readable trace (what `formatTrace` gives). */
  readonly trace: string;
}

const ADDRESS_KEYS = new Set(['gpa', 'hva', 'gfn']);
const PLAIN = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;
const RESERVED = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '~']);

function scalar(key: string, v: unknown): string {
  if (typeof v === 'number') return ADDRESS_KEYS.has(key) && v >= 0 ? `0x${v.toString(16)}` : String(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return PLAIN.test(v) && !RESERVED.has(v.toLowerCase()) ? v : JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map((x) => scalar(key, x)).join(', ')}]`;
  if (typeof v === 'object' && v !== null) return flow(v as Record<string, unknown>);
  return JSON.stringify(v);
}

/** A YAML flow mapping on one line, as the shipped scenario files write steps. */
function flow(o: Record<string, unknown>): string {
  const parts = Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${scalar(k, v)}`);
  return `{ ${parts.join(', ')} }`;
}

/** Write a scenario as YAML in the style of the shipped files (one flow mapping per line). */
export function scenarioToYaml(s: Scenario): string {
  const lines: string[] = [];
  if (s.name !== undefined) lines.push(`name: ${JSON.stringify(s.name)}`);
  if (s.description !== undefined) lines.push(`description: ${JSON.stringify(s.description)}`);
  lines.push(`machine: ${flow(s.machine)}`);
  lines.push(`backend: ${scalar('backend', s.backend)}`);
  lines.push(`kernel: ${flow(s.kernel)}`);
  if (s.seed !== undefined) lines.push(`seed: ${s.seed}`);
  if (s.vms.length > 0) {
    lines.push('vms:');
    for (const v of s.vms) {
      lines.push(`  - name: ${scalar('name', v.name)}`);
      if (v.memslots.length > 0) {
        lines.push('    memslots:');
        for (const m of v.memslots) lines.push(`      - ${flow(m)}`);
      }
      if (v.mappings.length > 0) {
        lines.push('    mappings:');
        for (const m of v.mappings) lines.push(`      - ${flow(m)}`);
      }
    }
  }
  lines.push('threads:');
  for (const t of s.threads) lines.push(`  - ${flow(t)}`);
  lines.push('steps:');
  for (const st of s.steps) lines.push(`  - ${flow(st)}`);
  return `${lines.join('\n')}\n`;
}

/** What the last step should have shown had nothing broken: the expectation the replay fails. */
function expectationFor(violations: readonly Violation[]): ScenarioExpect {
  const e: { -readonly [K in keyof ScenarioExpect]: ScenarioExpect[K] } = {};
  if (violations.some((v) => v.kind === 'invariant')) e.violations = [];
  if (violations.some((v) => v.kind === 'use-after-free')) e.useAfterFree = false;
  if (violations.some((v) => v.kind === 'stale-after-free')) e.staleAfterFree = false;
  if (violations.some((v) => v.kind === 'oops')) e.oops = false;
  return e;
}

/**
 * Turn a schedule into scenario steps. Each run of one thread inside one op becomes a step that
 * starts the op (or `resume`s it) with `pauseAt` set to the label where the run stopped; the
 * runner pauses at the first occurrence of a label, so a run that passes the same label earlier
 * is split there into several steps. A run that ends the op has no `pauseAt`.
 */
export function scheduleToSteps(
  events: readonly StepEvent[],
  ops: readonly ThreadOps[],
): { steps: ScenarioStep[]; replayable: boolean } {
  const byThread = new Map(ops.map((o) => [o.name, o.ops]));
  const steps: ScenarioStep[] = [];
  let replayable = true;
  let i = 0;
  while (i < events.length) {
    const first = events[i]!;
    let j = i;
    while (
      j + 1 < events.length &&
      events[j + 1]!.thread === first.thread &&
      events[j + 1]!.opIndex === first.opIndex &&
      !events[j + 1]!.started
    ) {
      j++;
    }
    const run = events.slice(i, j + 1);
    const op = byThread.get(first.thread)?.[first.opIndex];
    if (!op) throw new Error(`no op ${first.opIndex} for thread ${first.thread}`);
    const last = run[run.length - 1]!;
    const stop = last.label;
    const ends = last.yieldKind === null;
    if (!ends && stop === null) replayable = false;
    // Cut the run after every earlier stop at the same label.
    const cuts: number[] = [];
    if (!ends && stop !== null) {
      for (const [k, e] of run.entries()) if (e.label === stop) cuts.push(k);
    }
    const pieces = ends ? 1 : Math.max(1, cuts.length);
    for (let p = 0; p < pieces; p++) {
      const base: ScenarioStep =
        p === 0 && first.started
          ? { ...op }
          : { thread: first.thread, op: 'resume', ...(op.cache !== undefined ? { cache: op.cache } : {}) };
      steps.push(ends ? base : { ...base, pauseAt: stop ?? '' });
    }
    i = j + 1;
  }
  return { steps, replayable };
}

/** A readable trace: one line per step, the caches after it, then what broke. */
export function formatTrace(events: readonly StepEvent[], violations: readonly Violation[]): string {
  const rows = events.map((e) => {
    const where =
      e.error !== undefined
        ? `threw: ${e.error}`
        : e.yieldKind === null
          ? `done -> ${String(e.result)}`
          : `${e.yieldKind} at ${e.label ?? '(no label)'}`;
    const caches = e.caches
      .map(
        (c) =>
          `${c.name}[${c.active ? 'active' : 'inactive'}${c.valid ? ' valid' : ''} pfn=${c.pfn ?? '-'} khva=${c.khva ?? '-'}]`,
      )
      .join(' ');
    return [
      String(e.step).padStart(3),
      e.thread.padEnd(8),
      `${e.started ? '+' : ' '}${e.op}`.padEnd(22),
      where.padEnd(34),
      caches,
    ];
  });
  const lines = rows.map((r) => r.join(' ').trimEnd());
  lines.unshift(
    `${'#'.padStart(3)} ${'thread'.padEnd(8)} ${' op'.padEnd(22)} ${'stopped'.padEnd(34)} caches after`,
  );
  for (const v of violations) lines.push(`!! ${v.name}${v.cache ? ` (${v.cache})` : ''}: ${v.detail}`);
  return `${lines.join('\n')}\n`;
}

/** Build the counterexample for a violating run. */
export function buildCounterexample(
  scenario: Scenario,
  ops: readonly ThreadOps[],
  events: readonly StepEvent[],
  violations: readonly Violation[],
  backend: string,
  origin: string,
): Counterexample {
  const { steps, replayable } = scheduleToSteps(events, ops);
  const last = steps[steps.length - 1];
  const what = violations.map((v) => `${v.name}${v.cache ? ` (${v.cache})` : ''}: ${v.detail}`).join('; ');
  if (last) {
    const expect = expectationFor(violations);
    steps[steps.length - 1] = {
      ...last,
      ...(Object.keys(expect).length > 0 ? { expect } : {}),
      note: `counterexample: ${what}`,
    };
  }
  const schedule = events.map((e) => e.thread);
  const replay: Scenario = {
    ...scenario,
    name: `counterexample: ${scenario.name ?? 'scenario'}`,
    description:
      `Found by ${origin} (backend ${backend}) after ${events.length} scheduler steps: ${what}. ` +
      `Schedule: ${schedule.join(' ')}. The last step expects what should have held, so a replay ` +
      'fails there while the bug is present and passes once it is fixed.',
    backend,
    steps,
  };
  return {
    schedule,
    violations,
    events,
    scenario: replay,
    yaml: scenarioToYaml(replay),
    scenarioSteps: steps.length,
    replayable,
    trace: formatTrace(events, violations),
  };
}
