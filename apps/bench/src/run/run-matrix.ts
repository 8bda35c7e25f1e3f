// Runs every selected workload on every selected backend with the same seed: workloads in config order,
// backends in config order. Results are checked before anyone sees them.
import type { BenchRegistry } from '../bench-registry.ts';
import type { BenchConfig } from '../config/bench-config.ts';
import type { WorkloadResult, WorkloadRunContext } from '../workload.ts';
import { checkResult } from './check-result.ts';
import { RunError } from './run-error.ts';

export interface MatrixRun {
  readonly workload: string;
  readonly backend: string;
  readonly result: WorkloadResult;
}

/** How far a matrix run has got; implemented by the CLI's progress display. */
export interface MatrixProgress {
  start(totalRuns: number): void;
  /** `position` counts runs done plus the fraction of the current one. */
  update(position: number, label: string): void;
  runDone(label: string, index: number): void;
  stop(): void;
}

// setImmediate in Node; a zero timeout in a browser worker (which has no setImmediate).
const yieldToEventLoop = () =>
  new Promise<void>((resolve) =>
    typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0),
  );

export async function runMatrix(
  config: BenchConfig,
  registry: BenchRegistry,
  progress: MatrixProgress,
): Promise<MatrixRun[]> {
  const pairs = Object.keys(config.workloads).flatMap((workload) =>
    config.backends.map((backend) => ({ workload, backend })),
  );
  const machine = Object.freeze({ ...config.machine });
  const kernel = Object.freeze({ ...config.kernel });
  const calibration = Object.freeze({ ...config.calibration });
  const backendOptions = (backend: string) => {
    const options = config.backendOptions[backend];
    return options === undefined ? {} : { backendOptions: Object.freeze({ ...options }) };
  };
  const runs: MatrixRun[] = [];
  progress.start(pairs.length);
  try {
    for (const [index, { workload, backend }] of pairs.entries()) {
      const definition = registry.workloads.get(workload);
      if (definition === undefined) throw new RunError(workload, backend, 'workload is not registered');
      const label = `${workload} on ${backend}`;
      let reported = 0;
      const ctx: WorkloadRunContext = {
        seed: config.seed,
        machine,
        kernel,
        calibration,
        backend: registry.backends.get(backend),
        ...backendOptions(backend),
        onProgress(fraction) {
          const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
          if (f - reported < 0.001) return;
          reported = f;
          progress.update(index + f, label);
        },
      };
      progress.update(index, label);
      await yieldToEventLoop();
      let result: WorkloadResult;
      try {
        result = definition.run(config.workloads[workload], ctx);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new RunError(workload, backend, `threw: ${reason}`, { cause: error });
      }
      const problems = checkResult(result);
      if (problems.length > 0)
        throw new RunError(workload, backend, `impossible result: ${problems.join('; ')}`);
      runs.push({ workload, backend, result });
      progress.runDone(label, index);
    }
  } finally {
    progress.stop();
  }
  return runs;
}
