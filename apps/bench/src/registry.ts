// The wiring: the one file that connects the bench app to the model. Workloads come from
// @khva/workloads, the built-in backend factories from @khva/backends (the one list of them), the cost
// table's row names from @khva/memory-core, the scenario runner from @khva/pfncache and the explorer
// from @khva/explorer. A config's `backendModules` add factories to these (config/backend-modules.ts).
import { createDefaultRegistry } from '@khva/backends';
import { exploreFile } from '@khva/explorer';
import { defaultCalibration } from '@khva/memory-core';
import { runScenarioFile } from '@khva/pfncache/scenario';
import { builtinWorkloads } from '@khva/workloads';
import type { BenchRegistry } from './bench-registry.ts';
import { createWorkloadRegistry } from './workload-registry.ts';

export const defaultRegistry: BenchRegistry = {
  workloads: createWorkloadRegistry(builtinWorkloads),
  backends: createDefaultRegistry(),
  calibrationRows: Object.keys(defaultCalibration.rows),
  runScenarioFile: (path, { backend, backends }) =>
    runScenarioFile(path, { registry: backends, ...(backend !== undefined ? { backend } : {}) }),
  exploreFile: (path, { backends, ...options }) => exploreFile(path, { registry: backends, ...options }),
};
