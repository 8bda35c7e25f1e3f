import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { BackendRegistry } from '@khva/backend-api';
import { type Scenario, validateScenario } from '@khva/host/scenario';
import { loadScenarioFile } from '@khva/host/scenario/file';
import {
  type ExploreOptions,
  type ExploreProgress,
  type ExploreResult,
  explore,
  exploreAsync,
} from './explore.ts';

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
  /** Polled before every schedule; true stops the search (see ExploreOptions.shouldStop). */
  readonly shouldStop?: () => boolean;
  /** exploreFileAsync: called every few milliseconds of search with how far it got. */
  readonly onSlice?: (progress: ExploreProgress) => void;
}

export interface ExploreFileResult {
  readonly file: string;
  readonly backend: string;
  readonly explored: number;
  readonly pruned: number;
  readonly wallMs: number;
  readonly exhaustive: boolean;
  /** Schedules that ended in a violation. */
  readonly violating: number;
  /** Stopped by shouldStop: nothing is written, not even a counterexample found before the stop. */
  readonly stopped: boolean;
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
  const { file, scenario } = loadForExplore(path, options);
  return saveResult(file, explore(scenario, exploreOptions(options)), options);
}

/** exploreFile, yielding to the event loop during the search so that `shouldStop` can be set by a signal. */
export async function exploreFileAsync(
  path: string,
  options: ExploreFileOptions,
): Promise<ExploreFileResult> {
  const { file, scenario } = loadForExplore(path, options);
  const onSlice = options.onSlice === undefined ? {} : { onSlice: options.onSlice };
  return saveResult(file, await exploreAsync(scenario, { ...exploreOptions(options), ...onSlice }), options);
}

function loadForExplore(path: string, options: ExploreFileOptions): { file: string; scenario: Scenario } {
  const file = resolve(path);
  const loaded =
    options.document === undefined ? loadScenarioFile(file) : validateScenario(options.document, file);
  const scenario = options.kernel ? { ...loaded, kernel: { ...loaded.kernel, ...options.kernel } } : loaded;
  return { file, scenario };
}

function exploreOptions(options: ExploreFileOptions): ExploreOptions {
  return {
    registry: options.registry,
    ...(options.backend !== undefined ? { backend: options.backend } : {}),
    ...(options.maxSchedules !== undefined ? { maxSchedules: options.maxSchedules } : {}),
    ...(options.reduction !== undefined ? { reduction: options.reduction } : {}),
    ...(options.shouldStop !== undefined ? { shouldStop: options.shouldStop } : {}),
  };
}

/** Writes the counterexample, each file whole or not at all (written beside, then renamed into place). */
function saveResult(file: string, result: ExploreResult, options: ExploreFileOptions): ExploreFileResult {
  const base = {
    file,
    backend: result.backend,
    explored: result.explored,
    pruned: result.pruned,
    wallMs: result.wallMs,
    exhaustive: result.exhaustive,
    violating: result.violating,
    stopped: result.stopped,
    result,
  };
  const cx = result.counterexample;
  if (!cx) return base;
  const dir = options.outDir ? resolve(options.outDir) : dirname(file);
  const stem = join(dir, `${basename(file, extname(file))}.${result.backend}.counterexample`);
  // A counterexample that cannot be saved is still a finding: report it with the reason.
  let writeError: string | undefined;
  if (result.stopped) writeError = 'the search was interrupted; nothing was written';
  else {
    try {
      mkdirSync(dir, { recursive: true });
      writeWhole(`${stem}.yaml`, cx.yaml);
      writeWhole(`${stem}.txt`, cx.trace);
    } catch (error) {
      writeError = error instanceof Error ? error.message : String(error);
    }
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

/** A file appears with all of its text or not at all: a kill mid-write leaves only the temporary file. */
function writeWhole(path: string, text: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
