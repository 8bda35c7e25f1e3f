// Everything the CLI needs from the model, injected as one value (the shipped one is built in registry.ts).
import type { BackendCatalog } from './backend-catalog.ts';
import type { ExploreRunner } from './explore.ts';
import type { ScenarioRunner } from './scenario.ts';
import type { WorkloadRegistry } from './workload-registry.ts';

export interface BenchRegistry {
  readonly workloads: WorkloadRegistry;
  readonly backends: BackendCatalog;
  /** Row names the config's `calibration` block may override; absent: any row name is accepted. */
  readonly calibrationRows?: readonly string[];
  /** Runs `khva-bench scenario FILE`; absent: the command says the runner is not wired in. */
  readonly runScenarioFile?: ScenarioRunner;
  /** Runs `khva-bench explore FILE`; absent: the command says the explorer is not wired in. */
  readonly exploreFile?: ExploreRunner;
}

/** True when the build has something to run. */
export function hasModel(registry: BenchRegistry): boolean {
  return registry.workloads.names().length > 0 && registry.backends.names().length > 0;
}
