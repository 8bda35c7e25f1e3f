// The wiring: the one file that connects the bench app to the model. Workloads come from
// @khva/workloads, backends from @khva/backends (by the names configuration uses), the cost
// table's row names from @khva/memory-core, and the scenario runner from @khva/pfncache.
import { builtinBackends, createDefaultRegistry } from '@khva/backends';
import { exploreFile } from '@khva/explorer';
import { defaultCalibration, Machine, ModelUsageError } from '@khva/memory-core';
import { runScenarioFile } from '@khva/pfncache/scenario';
import { builtinWorkloads } from '@khva/workloads';
import { createBackendCatalog } from './backend-catalog.ts';
import type { BenchRegistry } from './bench-registry.ts';
import { createWorkloadRegistry } from './workload-registry.ts';

const backendRegistry = createDefaultRegistry();

/**
 * Config-time check of `backendOptions`: the backend is created once, with those options, on a small
 * machine. Factories reject options with a TypeError naming the option (some check a value's range with
 * a RangeError or the model's ModelUsageError); each becomes a TypeError for the config layer. Anything
 * else is a bug and propagates.
 */
function checkBackendOptions(name: string, options: Readonly<Record<string, unknown>>): void {
  try {
    backendRegistry.create(name, new Machine({ cpus: 2 }), { ...options });
  } catch (error) {
    if (error instanceof TypeError) throw error;
    if (error instanceof RangeError || error instanceof ModelUsageError) throw new TypeError(error.message);
    throw error;
  }
}

export const defaultRegistry: BenchRegistry = {
  workloads: createWorkloadRegistry(builtinWorkloads),
  backends: createBackendCatalog(
    builtinBackends.map((f) => ({ name: f.name, summary: f.summary, defaults: { ...f.defaults } })),
    checkBackendOptions,
  ),
  calibrationRows: Object.keys(defaultCalibration.rows),
  runScenarioFile: (path, { backend }) =>
    runScenarioFile(path, { registry: backendRegistry, ...(backend !== undefined ? { backend } : {}) }),
  exploreFile: (path, options) => exploreFile(path, { registry: backendRegistry, ...options }),
};
