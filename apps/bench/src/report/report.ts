// report.json's content (`khva.report/v1`): the effective config and seed, and one entry per
// (workload, backend), workloads in config order and backends in config order. No wall time, no dates:
// the same config and seed give the same bytes.
import type { BenchConfig } from '../config/bench-config.ts';
import type { MatrixRun } from '../run/run-matrix.ts';
import type { CostMetrics, SafetyMetrics } from '../workload.ts';

export const REPORT_SCHEMA = 'khva.report/v1';

export interface ReportEntry {
  workload: string;
  backend: string;
  /** gpc accesses attempted. */
  ops: number;
  cost: CostMetrics;
  safety: SafetyMetrics;
  notes?: string[];
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  seed: number;
  config: BenchConfig;
  results: ReportEntry[];
}

function canonicalCost(c: CostMetrics): CostMetrics {
  return {
    cycles: c.cycles,
    cyclesPerOp: c.cyclesPerOp,
    mapCalls: c.mapCalls,
    unmapCalls: c.unmapCalls,
    mapFailures: c.mapFailures,
    wouldBlock: c.wouldBlock,
    tlbFlushesLocal: c.tlbFlushesLocal,
    tlbFlushesGlobal: c.tlbFlushesGlobal,
    ipis: c.ipis,
    vaBytesPeak: c.vaBytesPeak,
    pageTablePages: c.pageTablePages,
    directMapSplits: c.directMapSplits,
  };
}

function canonicalSafety(s: SafetyMetrics): SafetyMetrics {
  return {
    oopses: s.oopses,
    faults: s.faults,
    exposurePageNs: s.exposurePageNs,
    foreignExposurePageNs: s.foreignExposurePageNs,
    staleTranslationNs: s.staleTranslationNs,
    useAfterFreeWindows: s.useAfterFreeWindows,
    useAfterFreeAccesses: s.useAfterFreeAccesses,
  };
}

export function canonicalConfig(c: BenchConfig): BenchConfig {
  return {
    seed: c.seed,
    machine: {
      cpus: c.machine.cpus,
      tlbEntries: c.machine.tlbEntries,
      ghz: c.machine.ghz,
      memGiB: c.machine.memGiB,
    },
    backends: [...c.backends],
    workloads: Object.fromEntries(Object.entries(c.workloads).map(([name, params]) => [name, { ...params }])),
    kernel: {
      gmemInvalidation: c.kernel.gmemInvalidation,
      flushOnZap: c.kernel.flushOnZap,
      reachGuard: c.kernel.reachGuard,
    },
    calibration: Object.fromEntries(
      Object.entries(c.calibration).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    ),
    backendOptions: Object.fromEntries(
      Object.entries(c.backendOptions).map(([backend, options]) => [backend, { ...options }]),
    ),
    ...(c.backendModules === undefined ? {} : { backendModules: [...c.backendModules] }),
  };
}

/** Builds the report with every object in a fixed key order and results in config order. */
export function buildReport(config: BenchConfig, runs: readonly MatrixRun[]): Report {
  const workloadOrder = Object.keys(config.workloads);
  const rank = (run: MatrixRun) =>
    workloadOrder.indexOf(run.workload) * config.backends.length + config.backends.indexOf(run.backend);
  const results = [...runs]
    .sort((a, b) => rank(a) - rank(b))
    .map(({ workload, backend, result }): ReportEntry => {
      const entry: ReportEntry = {
        workload,
        backend,
        ops: result.ops,
        cost: canonicalCost(result.cost),
        safety: canonicalSafety(result.safety),
      };
      if (result.notes !== undefined && result.notes.length > 0) entry.notes = [...result.notes];
      return entry;
    });
  return { schema: REPORT_SCHEMA, seed: config.seed, config: canonicalConfig(config), results };
}

/** The entries of one workload, in backend order. */
export function entriesOf(report: Report, workload: string): ReportEntry[] {
  return report.results.filter((r) => r.workload === workload);
}
