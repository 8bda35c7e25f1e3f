// The wiring: the one file that connects the bench app to the model. Workloads come from
// @khva/workloads, backends from @khva/backends (by the names configuration uses), the cost
// table's row names from @khva/memory-core, and the scenario runner from @khva/pfncache.
import { builtinBackends, createDefaultRegistry } from '@khva/backends';
import { defaultCalibration } from '@khva/memory-core';
import { runScenarioFile } from '@khva/pfncache/scenario';
import { builtinWorkloads } from '@khva/workloads';
import { createBackendCatalog } from './backend-catalog.ts';
import type { BenchRegistry } from './bench-registry.ts';
import { createWorkloadRegistry } from './workload-registry.ts';

const backendRegistry = createDefaultRegistry();

export const defaultRegistry: BenchRegistry = {
  workloads: createWorkloadRegistry(builtinWorkloads),
  backends: createBackendCatalog(builtinBackends.map((f) => ({ name: f.name, summary: f.summary }))),
  calibrationRows: Object.keys(defaultCalibration.rows),
  runScenarioFile: (path, { backend }) =>
    runScenarioFile(path, { registry: backendRegistry, ...(backend !== undefined ? { backend } : {}) }),
};
