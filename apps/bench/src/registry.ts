// The wiring: the one file that connects the bench app to the model. Workloads come from
// @khva/workloads, the built-in backend factories from @khva/backends (the one list of them), the cost
// table's row names from @khva/memory-core, the scenario runner from @khva/pfncache and the explorer
// from @khva/explorer. A config's `backendModules` add factories to these (config/backend-modules.ts).
import { createDefaultRegistry } from '@khva/backends';
import { exploreFile } from '@khva/explorer/file';
import { defaultCalibration } from '@khva/memory-core';
import { loadScenarioFile } from '@khva/pfncache/scenario/file';
import { recordScenario, renderTimelineHtml } from '@khva/timeline';
import { builtinWorkloads } from '@khva/workloads';
import type { BenchRegistry } from './bench-registry.ts';
import { createWorkloadRegistry } from './workload-registry.ts';

export const defaultRegistry: BenchRegistry = {
  workloads: createWorkloadRegistry(builtinWorkloads),
  backends: createDefaultRegistry(),
  calibrationRows: Object.keys(defaultCalibration.rows),
  runScenarioFile: (path, { backend, backends, html }) => {
    const { run, timeline } = recordScenario(loadScenarioFile(path), {
      registry: backends,
      ...(backend !== undefined ? { backend } : {}),
    });
    return html === true ? { ...run, html: renderTimelineHtml(timeline) } : run;
  },
  exploreFile: (path, { backends, html, ...options }) => {
    const summary = exploreFile(path, { registry: backends, ...options });
    const cx = summary.result.counterexample;
    if (html !== true || cx === undefined) return summary;
    const { timeline } = recordScenario(cx.scenario, { registry: backends });
    return { ...summary, html: renderTimelineHtml(timeline) };
  },
};
