// The body of a sweep worker thread (tinypool loads the built file): runs one point's matrix with the
// shipped model, plus the backends of the sweep's `backendModules` (file URLs, imported once per
// worker), and returns its runs, or the reason it failed, so one failure never takes the pool down.
import type { BenchRegistry } from '../bench-registry.ts';
import type { BenchConfig } from '../config/bench-config.ts';
import { ConfigError } from '../config/config-error.ts';
import { registryWithModules } from '../config/load.ts';
import { defaultRegistry } from '../registry.ts';
import { RunError } from '../run/run-error.ts';
import { runMatrix } from '../run/run-matrix.ts';
import type { PointOutcome } from './sweep.ts';

const silent = { start() {}, update() {}, runDone() {}, stop() {} };

/** The registry for a list of module URLs, built once per worker and list. */
const registries = new Map<string, Promise<BenchRegistry>>();

function registryFor(urls: readonly string[] | undefined): Promise<BenchRegistry> {
  if (urls === undefined || urls.length === 0) return Promise.resolve(defaultRegistry);
  const key = urls.join('\n');
  let registry = registries.get(key);
  if (registry === undefined) {
    // The URLs are absolute: the config path they would be resolved against is never used.
    registry = registryWithModules(urls, import.meta.filename ?? '.', defaultRegistry, 'sweep worker');
    registries.set(key, registry);
  }
  return registry;
}

export default async function runPoint(config: BenchConfig): Promise<PointOutcome> {
  try {
    const registry = await registryFor(config.backendModules);
    return { ok: true, runs: await runMatrix(config, registry, silent) };
  } catch (error) {
    if (error instanceof RunError || error instanceof ConfigError) return { ok: false, error: error.message };
    return {
      ok: false,
      error: `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    };
  }
}
