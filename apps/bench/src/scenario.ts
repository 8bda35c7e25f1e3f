// The scenario runner the model provides (from @khva/pfncache): `khva-bench scenario FILE` delegates to it.
import type { BackendRegistry } from '@khva/backend-api';
import type { ScenarioFailure as ModelScenarioFailure } from '@khva/host/scenario';

/**
 * Where a scenario stopped matching its `expect`: the model's own ScenarioFailure, of which a runner must
 * give the step and the whole story (`message`, printed as is) and may give the rest.
 */
export type ScenarioFailure = Pick<ModelScenarioFailure, 'step' | 'message'> &
  Partial<Pick<ModelScenarioFailure, 'thread' | 'op' | 'expected' | 'actual'>>;

export interface ScenarioOutcome {
  /** One JSON object per step run, in order (DESIGN.md, "Scenario files"). */
  readonly trace: readonly object[];
  readonly ok: boolean;
  readonly failure?: ScenarioFailure;
  /** The run's timeline as a self-contained HTML page, when `html` was asked for. */
  readonly html?: string;
}

export interface ScenarioOptions {
  /** Overrides the file's `backend`. */
  readonly backend?: string;
  /** The backends the file's (or the override's) name is looked up in. */
  readonly backends: BackendRegistry;
  /** Also render the run's timeline page (`--html`). */
  readonly html?: boolean;
  /**
   * The file's content, already read and parsed by the CLI's hardened reader (src/input); the runner
   * validates it instead of reading the file again. Absent: the runner reads `path` itself.
   */
  readonly document?: Readonly<Record<string, unknown>>;
}

/**
 * Runs a scenario file. Returns `ok: false` with `failure` at the first step whose outcome differs from its
 * `expect`; throws for a file that cannot be run at all (unreadable, invalid), which the CLI reports as a usage error.
 */
export type ScenarioRunner = (
  path: string,
  options: ScenarioOptions,
) => ScenarioOutcome | Promise<ScenarioOutcome>;
