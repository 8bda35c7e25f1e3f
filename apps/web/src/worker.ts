// The model, off the page's thread: validates and runs configs, records scenario timelines, renders
// saved reports and sweeps. Everything here is the code the CLI runs, imported through package exports.
import {
  buildReport,
  ConfigError,
  type MatrixProgress,
  modelRegistry,
  parseConfigText,
  REPORT_SCHEMA,
  type Report,
  RunError,
  renderHtml,
  renderReports,
  renderSweepFiles,
  runMatrix,
  SWEEP_SCHEMA,
  type Sweep,
  validateConfig,
} from '@khva/bench/browser';
import { parseScenario } from '@khva/host/scenario';
import { recordScenario, renderTimelineHtml } from '@khva/timeline';
import type { FromWorker, ToWorker } from './protocol.ts';

/** The worker's global scope, as much of it as this file uses (the page's DOM typings describe `self`). */
const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
};
const post = (m: FromWorker): void => scope.postMessage(m);

/** Progress to the page, at most every 50 ms (a run reports thousands of fractions). */
function progress(): MatrixProgress {
  let total = 0;
  let last = 0;
  return {
    start(n) {
      total = n;
      post({ type: 'progress', position: 0, total, label: 'starting' });
    },
    update(position, label) {
      const now = performance.now();
      if (now - last < 50) return;
      last = now;
      post({ type: 'progress', position, total, label });
    },
    runDone(label, index) {
      post({ type: 'progress', position: index + 1, total, label });
    },
    stop() {},
  };
}

async function run(text: string, format: 'json' | 'yaml', source: string): Promise<void> {
  let config: ReturnType<typeof validateConfig>;
  try {
    config = validateConfig(parseConfigText(text, format, source), modelRegistry, source);
  } catch (error) {
    if (error instanceof ConfigError) return post({ type: 'config-error', message: error.message });
    throw error;
  }
  const started = performance.now();
  try {
    const runs = await runMatrix(config, modelRegistry, progress());
    const files = renderReports(buildReport(config, runs));
    post({ type: 'report', files, runs: runs.length, ms: performance.now() - started });
  } catch (error) {
    if (error instanceof RunError) return post({ type: 'error', message: `run failed: ${error.message}` });
    throw error;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function open(text: string, name: string): Promise<void> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return post({ type: 'error', message: `${name}: not JSON: ${(error as Error).message}` });
  }
  const schema = isObject(doc) ? doc.schema : undefined;
  if (schema === REPORT_SCHEMA) {
    return post({ type: 'opened', kind: 'report', html: renderHtml(doc as unknown as Report) });
  }
  if (schema === SWEEP_SCHEMA) {
    const files = await renderSweepFiles(doc as unknown as Sweep);
    const html = files['sweep.html'];
    if (html === undefined) {
      return post({
        type: 'error',
        message: `${name}: a shard of a sweep; merge the shards first (khva-bench merge)`,
      });
    }
    return post({ type: 'opened', kind: 'sweep', html });
  }
  post({
    type: 'error',
    message: `${name}: schema ${JSON.stringify(schema)} is neither a report (${REPORT_SCHEMA}) nor a sweep (${SWEEP_SCHEMA})`,
  });
}

function scenario(text: string, name: string, backend: string | undefined): void {
  const s = parseScenario(text, name);
  const { run: r, timeline } = recordScenario(s, {
    registry: modelRegistry.backends,
    ...(backend !== undefined ? { backend } : {}),
  });
  post({ type: 'timeline', html: renderTimelineHtml(timeline), ok: r.ok, firstBreak: timeline.firstBreak });
}

scope.onmessage = async (e: MessageEvent<ToWorker>) => {
  const m = e.data;
  try {
    if (m.type === 'run') await run(m.text, m.format, m.source);
    else if (m.type === 'open') await open(m.text, m.name);
    else scenario(m.text, m.name, m.backend);
  } catch (error) {
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};

post({
  type: 'catalog',
  backends: modelRegistry.backends.names(),
  workloads: modelRegistry.workloads.names(),
});
