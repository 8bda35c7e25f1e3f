// The body of a sweep worker thread (tinypool loads the built file): runs one point's matrix with the
// shipped model and returns its runs, or the reason it failed, so one failure never takes the pool down.
import type { BenchConfig } from '../config/bench-config.ts';
import { defaultRegistry } from '../registry.ts';
import { RunError } from '../run/run-error.ts';
import { runMatrix } from '../run/run-matrix.ts';
import type { PointOutcome } from './sweep.ts';

const silent = { start() {}, update() {}, runDone() {}, stop() {} };

export default async function runPoint(config: BenchConfig): Promise<PointOutcome> {
  try {
    return { ok: true, runs: await runMatrix(config, defaultRegistry, silent) };
  } catch (error) {
    if (error instanceof RunError) return { ok: false, error: error.message };
    return {
      ok: false,
      error: `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    };
  }
}
