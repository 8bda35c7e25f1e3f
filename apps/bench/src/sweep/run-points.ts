// Runs sweep points on a tinypool worker-thread pool (all cores by default), one point per task, and
// reports progress per finished point. A point that fails keeps its error; the others go on.
import { availableParallelism } from 'node:os';
import Tinypool from 'tinypool';
import type { MatrixProgress } from '../run/run-matrix.ts';
import type { SweepPoint } from './plan.ts';
import { type PointOutcome, pointResult, type SweepPointResult } from './sweep.ts';

/** The built worker: beside this file in dist; from the sources (tests), the built copy in dist. */
export function defaultWorkerFile(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts')
    ? new URL('../../dist/sweep/point-worker.js', here)
    : new URL('./point-worker.js', here);
}

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Node flags for the workers: the parent's, less the `@khva/source` export condition (the worker is built
 * code and must load the built packages, even when the parent runs from sources under vitest).
 */
export function workerExecArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if ((arg === '--conditions' || arg === '-C') && argv[i + 1] === '@khva/source') {
      i++;
      continue;
    }
    if (arg === '--conditions=@khva/source') continue;
    out.push(arg);
  }
  return out;
}

export interface RunPointsOptions {
  /** Worker threads (default: every core). */
  readonly jobs?: number;
  /** Module whose default export runs one point (default: the built point-worker). */
  readonly workerFile?: URL;
  /** File URLs of the sweep's `backendModules`: each worker imports them before its first point. */
  readonly backendModuleUrls?: readonly string[];
  readonly progress: MatrixProgress;
}

function isOutcome(value: unknown): value is PointOutcome {
  return typeof value === 'object' && value !== null && 'ok' in value;
}

export async function runPoints(
  points: readonly SweepPoint[],
  options: RunPointsOptions,
): Promise<SweepPointResult[]> {
  const jobs = Math.max(1, Math.min(options.jobs ?? defaultJobs(), Math.max(1, points.length)));
  const pool = new Tinypool({
    filename: (options.workerFile ?? defaultWorkerFile()).href,
    minThreads: jobs,
    maxThreads: jobs,
    execArgv: workerExecArgv(process.execArgv),
  });
  const { progress } = options;
  progress.start(points.length);
  let done = 0;
  try {
    return await Promise.all(
      points.map(async (point) => {
        let outcome: PointOutcome;
        try {
          // The worker gets the modules as URLs it can import from anywhere; the point keeps the
          // specifiers as written (they are what sweep.json echoes).
          const urls = options.backendModuleUrls;
          const task = urls === undefined ? point.config : { ...point.config, backendModules: [...urls] };
          const value: unknown = await pool.run(task);
          outcome = isOutcome(value) ? value : { ok: false, error: 'the worker returned no outcome' };
        } catch (error) {
          outcome = {
            ok: false,
            error: `worker failed: ${error instanceof Error ? error.message : String(error)}`,
          };
        }
        const label = `point ${point.index + 1} ${point.id}${outcome.ok ? '' : ' FAILED'}`;
        progress.update(++done, label);
        progress.runDone(label, done - 1);
        return pointResult(point, outcome);
      }),
    );
  } finally {
    progress.stop();
    await pool.destroy();
  }
}
