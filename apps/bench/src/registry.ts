// The wiring: the one file that connects the bench app to the model. Fill the three lists below with
// the real workloads, backends and scenario runner; nothing else in apps/bench names a model package.
// Until then the registry is empty and `khva-bench run` refuses to run (it never invents numbers).
import { createBackendCatalog } from './backend-catalog.ts';
import type { BenchRegistry } from './bench-registry.ts';
import type { WorkloadDefinition } from './workload.ts';
import { createWorkloadRegistry } from './workload-registry.ts';

/** Workloads in the order `list` prints them (DESIGN.md names: kvmclock, xen-evtchn, memslot-churn, ...). */
const workloads: readonly WorkloadDefinition[] = [];

/** Backends by config name (direct-map, vmap, memremap-strict, memremap-relaxed, mm-local, ephmap, ...). */
const backends = createBackendCatalog([]);

export const defaultRegistry: BenchRegistry = {
  workloads: createWorkloadRegistry(workloads),
  backends,
  // calibrationRows: names of the cost table's rows (restricts the config's `calibration` keys),
  // runScenarioFile: the scenario runner from @khva/pfncache,
};
