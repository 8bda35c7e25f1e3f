import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { BackendRegistry } from '@khva/pfncache';
import { type Scenario, validateScenario } from '@khva/pfncache/scenario';
import { loadScenarioFile } from '@khva/pfncache/scenario/file';
import { type ExploreResult, explore } from './explore.ts';

export interface ExploreFileOptions {
  readonly registry: BackendRegistry;
  /** Run with this backend instead of the file's `backend`. */
  readonly backend?: string;
  /** Schedules to run at most (default 20000). */
  readonly maxSchedules?: number;
  /** Sleep-set reduction (default true). */
  readonly reduction?: boolean;
  /** Where to write the counterexample (default: next to the scenario file). */
  readonly outDir?: string;
  /** Kernel switches over the file's `kernel` block (the counterexample carries them). */
  readonly kernel?: Partial<Scenario['kernel']>;
  /** The file's content, already parsed (the CLI reads it with its own limits); absent: read `path`. */
  readonly document?: unknown;
}

export interface ExploreFileResult {
  readonly file: string;
  readonly backend: string;
  readonly explored: number;
  readonly pruned: number;
  readonly wallMs: number;
  readonly exhaustive: boolean;
  /** Set when a check broke: the files written and a summary. */
  readonly counterexample?: {
    /** The replayable scenario (`khva-bench scenario PATH` replays it and fails at its last step). */
    readonly path: string;
    /** The readable trace. */
    readonly tracePath: string;
    /** Scheduler steps of the violating schedule, and steps of the replay scenario. */
    readonly schedulerSteps: number;
    readonly scenarioSteps: number;
    readonly violations: readonly string[];
    readonly trace: string;
    /** Why the files could not be written (the counterexample is still here, in `trace`). */
    readonly writeError?: string;
  };
  /** Everything explore() reported. */
  readonly result: ExploreResult;
}

/**
 * What `khva-bench explore FILE [--backend NAME] [--max-schedules N]` calls: load and validate
 * the scenario (ScenarioError on a bad file), explore it, and write any counterexample as
 * `<name>.<backend>.counterexample.yaml` plus `<name>.<backend>.counterexample.txt` (the trace)
 * in outDir, by default the scenario's own directory.
 */
export function exploreFile(path: string, options: ExploreFileOptions): ExploreFileResult {
  const file = resolve(path);
  const loaded =
    options.document === undefined ? loadScenarioFile(file) : validateScenario(options.document, file);
  const scenario = options.kernel ? { ...loaded, kernel: { ...loaded.kernel, ...options.kernel } } : loaded;
  const result = explore(scenario, {
    registry: options.registry,
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.maxSchedules !== undefined ? { maxSchedules: options.maxSchedules } : {}),
    ...(options.reduction !== undefined ? { reduction: options.reduction } : {}),
  });
  const base = {
    file,
    backend: result.backend,
    explored: result.explored,
    pruned: result.pruned,
    wallMs: result.wallMs,
    exhaustive: result.exhaustive,
    result,
  };
  const cx = result.counterexample;
  if (!cx) return base;
  const dir = options.outDir ? resolve(options.outDir) : dirname(file);
  const stem = join(dir, `${basename(file, extname(file))}.${result.backend}.counterexample`);
  // A counterexample that cannot be saved is still a finding: report it with the reason.
  let writeError: string | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${stem}.yaml`, cx.yaml);
    writeFileSync(`${stem}.txt`, cx.trace);
  } catch (error) {
    writeError = error instanceof Error ? error.message : String(error);
  }
  return {
    ...base,
    counterexample: {
      path: `${stem}.yaml`,
      tracePath: `${stem}.txt`,
      schedulerSteps: cx.events.length,
      scenarioSteps: cx.scenarioSteps,
      violations: cx.violations.map((v) => v.name),
      trace: cx.trace,
      ...(writeError !== undefined ? { writeError } : {}),
    },
  };
}
