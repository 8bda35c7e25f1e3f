// report.json's content (`khva.report/v1`): the effective config and seed, and one entry per
// (workload, backend), workloads in config order and backends in config order. No wall time, no dates:
// the same config and seed give the same bytes.
import { defaultKernelOptions, findingFixSwitches, type KernelOptions } from '@khva/kvm';
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
  /** The effective config; its kernel block as canonicalKernel echoes it. */
  config: Omit<BenchConfig, 'kernel'> & { kernel: Record<string, boolean | string> };
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

/**
 * The kernel block as reports echo it: the three original switches always, the series and the
 * finding switches only where they differ from the default, so a default run's report keeps
 * its bytes.
 */
export function canonicalKernel(k: KernelOptions): Record<string, boolean | string> {
  const out: Record<string, boolean | string> = {
    gmemInvalidation: k.gmemInvalidation,
    flushOnZap: k.flushOnZap,
    reachGuard: k.reachGuard,
  };
  if (k.series !== defaultKernelOptions.series) out.series = k.series;
  for (const key of findingFixSwitches) if (k[key] !== defaultKernelOptions[key]) out[key] = k[key];
  return out;
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
      series: c.kernel.series,
      gmemInvalidation: c.kernel.gmemInvalidation,
      flushOnZap: c.kernel.flushOnZap,
      reachGuard: c.kernel.reachGuard,
      samePfnRemap: c.kernel.samePfnRemap,
      hvaRangeTracking: c.kernel.hvaRangeTracking,
      gpcMapMasksAnon: c.kernel.gpcMapMasksAnon,
      releaseHook: c.kernel.releaseHook,
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
  const canonical = canonicalConfig(config);
  return {
    schema: REPORT_SCHEMA,
    seed: config.seed,
    config: { ...canonical, kernel: canonicalKernel(canonical.kernel) },
    results,
  };
}

/** The entries of one workload, in backend order. */
export function entriesOf(report: Report, workload: string): ReportEntry[] {
  return report.results.filter((r) => r.workload === workload);
}
