// The model as the browser can have it: workloads, the built-in backends and the calibration rows, with
// no file access. registry.ts adds the file-based scenario runner and explorer for the CLI; the playground
// (apps/web) runs with this one, so both validate a config against the same catalog.
import { createDefaultRegistry } from '@khva/backends';
import { defaultCalibration } from '@khva/memory-core';
import { builtinWorkloads } from '@khva/workloads';
import type { BenchRegistry } from './bench-registry.ts';
import { createWorkloadRegistry } from './workload-registry.ts';

/** Workloads, backends and calibration rows of the shipped model (no scenario runner, no explorer). */
export const modelRegistry: BenchRegistry = {
  workloads: createWorkloadRegistry(builtinWorkloads),
  backends: createDefaultRegistry(),
  calibrationRows: Object.keys(defaultCalibration.rows),
};
