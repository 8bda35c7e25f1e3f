// Everything the CLI needs from the model, injected as one value (the shipped one is built in registry.ts).
// Backends are factory objects in a BackendRegistry: the names a config uses are resolved here, at the
// edge, and workloads are handed the factory.
import { type BackendFactory, BackendRegistry } from '@khva/backend-api';
import type { ExploreRunner } from './explore.ts';
import type { ScenarioRunner } from './scenario.ts';
import type { WorkloadRegistry } from './workload-registry.ts';

export interface BenchRegistry {
  readonly workloads: WorkloadRegistry;
  /** Backend factories by the names configs use, in the order `list` prints them. */
  readonly backends: BackendRegistry;
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

/** The same registry with more backends after its own (a config's `backendModules`); throws on a clash. */
export function withBackends(
  registry: BenchRegistry,
  extra: readonly BackendFactory<object>[],
): BenchRegistry {
  if (extra.length === 0) return registry;
  const own = registry.backends.names().map((name) => registry.backends.get(name));
  return { ...registry, backends: new BackendRegistry([...own, ...extra]) };
}
