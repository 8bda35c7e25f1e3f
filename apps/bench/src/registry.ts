// The wiring: the one file that connects the bench app to the model. model-registry.ts has the part a
// browser can run: workloads from @khva/workloads, the built-in backend factories from @khva/backends (the
// one list of them), the cost table's row names from @khva/memory-core. This adds the scenario runner from
// @khva/pfncache (recording its timeline with @khva/timeline) and the explorer from @khva/explorer. A config's `backendModules` add factories to these (config/backend-modules.ts).
import { exploreFileAsync } from '@khva/explorer/file';
import { runScenario, validateScenario } from '@khva/host/scenario';
import { loadScenarioFile } from '@khva/host/scenario/file';
import { recordScenario, renderTimelineHtml } from '@khva/timeline';
import type { BenchRegistry } from './bench-registry.ts';
import { modelRegistry } from './model-registry.ts';

export const defaultRegistry: BenchRegistry = {
  ...modelRegistry,
  runScenarioFile: (path, { backend, backends, html, document }) => {
    // The CLI hands over the document its hardened reader parsed; the model validates it (one path).
    const scenario = document === undefined ? loadScenarioFile(path) : validateScenario(document, path);
    const options = { registry: backends, ...(backend !== undefined ? { backend } : {}) };
    // The timeline records every cache at every step: only when its page is asked for (--html).
    if (html !== true) return runScenario(scenario, options);
    const { run, timeline } = recordScenario(scenario, options);
    return { ...run, html: renderTimelineHtml(timeline) };
  },
  exploreFile: async (path, { backends, html, ...options }) => {
    const summary = await exploreFileAsync(path, { registry: backends, ...options });
    const cx = summary.result.counterexample;
    if (html !== true || cx === undefined) return summary;
    const { timeline } = recordScenario(cx.scenario, { registry: backends });
    return { ...summary, html: renderTimelineHtml(timeline) };
  },
};
