// The scenario runner the model provides (from @khva/pfncache): `khva-bench scenario FILE` delegates to it.
import type { BackendRegistry } from '@khva/backend-api';

/** Where a scenario stopped matching its `expect`. */
export interface ScenarioFailure {
  /** The step's position in the file, as the trace numbers it. */
  readonly step: number;
  /** The whole story, printed as is: which step (thread, op) and both values, e.g. `step 4 (vcpu0 resume): expected pfn "changed", got "same"`. */
  readonly message: string;
  readonly thread?: string;
  readonly op?: string;
  readonly expected?: unknown;
  readonly actual?: unknown;
}

export interface ScenarioOutcome {
  /** One JSON object per step run, in order (DESIGN.md, "Scenario files"). */
  readonly trace: readonly object[];
  readonly ok: boolean;
  readonly failure?: ScenarioFailure;
}

export interface ScenarioOptions {
  /** Overrides the file's `backend`. */
  readonly backend?: string;
  /** The backends the file's (or the override's) name is looked up in. */
  readonly backends: BackendRegistry;
}

/**
 * Runs a scenario file. Returns `ok: false` with `failure` at the first step whose outcome differs from its
 * `expect`; throws for a file that cannot be run at all (unreadable, invalid), which the CLI reports as a usage error.
 */
export type ScenarioRunner = (
  path: string,
  options: ScenarioOptions,
) => ScenarioOutcome | Promise<ScenarioOutcome>;
