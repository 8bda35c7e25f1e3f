// The interleaving explorer the model provides (from @khva/explorer): `khva-bench explore FILE`.

export interface ExploreSummary {
  readonly file: string;
  readonly backend: string;
  readonly explored: number;
  readonly pruned: number;
  readonly wallMs: number;
  /** Every schedule within the depth bound was explored (the budget did not run out). */
  readonly exhaustive: boolean;
  readonly counterexample?: {
    readonly path: string;
    readonly tracePath: string;
    readonly schedulerSteps: number;
    readonly scenarioSteps: number;
    readonly violations: readonly string[];
    readonly trace: string;
  };
}

export interface ExploreOptions {
  readonly backend?: string;
  readonly maxSchedules?: number;
  readonly reduction?: boolean;
  readonly outDir?: string;
}

/** Explores the schedules of a scenario file; throws for a file that cannot be run. */
export type ExploreRunner = (path: string, options: ExploreOptions) => ExploreSummary;
