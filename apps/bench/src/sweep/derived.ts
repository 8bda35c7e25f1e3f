// Figures a sweep adds to each run: totals normalised per gpc access and per simulated second (so a
// backend whose run lasts longer is compared fairly), the slow-path rate and lazy-purge stalls.
import type { MetricInfo } from '../metrics.ts';
import type { WorkloadResult } from '../workload.ts';

export interface DerivedMetrics {
  /** Simulated time of the run: its modelled cycles at the machine's clock. */
  simSeconds: number;
  exposurePageNsPerOp: number;
  exposurePageNsPerSimSecond: number;
  foreignExposurePageNsPerOp: number;
  foreignExposurePageNsPerSimSecond: number;
  staleTranslationNsPerOp: number;
  staleTranslationNsPerSimSecond: number;
  ipisPerOp: number;
  tlbFlushesGlobalPerOp: number;
  /** Accesses sent to the slow path per access (Xen: events the IRQ-context fast path could not deliver). */
  slowPathRate: number;
  /** Lazy purges of unmapped kernel VA (each one a kernel-range flush the freeing CPU waits for). */
  lazyPurges: number;
}

export const DERIVED_METRICS: { readonly [K in keyof DerivedMetrics]: MetricInfo } = {
  simSeconds: { label: 'sim s', integer: false, description: 'simulated seconds: modelled cycles / clock' },
  exposurePageNsPerOp: {
    label: 'exposure/op',
    integer: false,
    description: 'exposure page·ns per gpc access',
  },
  exposurePageNsPerSimSecond: {
    label: 'exposure/sim s',
    integer: false,
    description: 'exposure page·ns per simulated second (mean pages exposed x 1e9)',
  },
  foreignExposurePageNsPerOp: {
    label: 'foreign/op',
    integer: false,
    description: 'foreign exposure page·ns per gpc access',
  },
  foreignExposurePageNsPerSimSecond: {
    label: 'foreign/sim s',
    integer: false,
    description: 'foreign exposure page·ns per simulated second',
  },
  staleTranslationNsPerOp: {
    label: 'stale/op',
    integer: false,
    description: 'stale-translation ns per access',
  },
  staleTranslationNsPerSimSecond: {
    label: 'stale/sim s',
    integer: false,
    description: 'stale-translation ns per simulated second',
  },
  ipisPerOp: { label: 'IPIs/op', integer: false, description: 'IPIs per gpc access' },
  tlbFlushesGlobalPerOp: {
    label: 'global flushes/op',
    integer: false,
    description: 'global flushes per access',
  },
  slowPathRate: {
    label: 'slow-path rate',
    integer: false,
    description: 'accesses sent to the slow path (would block) per access',
  },
  lazyPurges: {
    label: 'lazy purges',
    integer: true,
    description:
      "lazy purges of unmapped kernel VA, the one forced at the end of the run included (the backend's purge counter; 0 where it has none)",
  },
};

export const DERIVED_KEYS = Object.keys(DERIVED_METRICS) as (keyof DerivedMetrics)[];

const per = (value: number, by: number): number => (by > 0 ? value / by : 0);

export function deriveMetrics(result: WorkloadResult, ghz: number): DerivedMetrics {
  const { cost, safety, ops } = result;
  const simSeconds = cost.cycles / (ghz * 1e9);
  return {
    simSeconds,
    exposurePageNsPerOp: per(safety.exposurePageNs, ops),
    exposurePageNsPerSimSecond: per(safety.exposurePageNs, simSeconds),
    foreignExposurePageNsPerOp: per(safety.foreignExposurePageNs, ops),
    foreignExposurePageNsPerSimSecond: per(safety.foreignExposurePageNs, simSeconds),
    staleTranslationNsPerOp: per(safety.staleTranslationNs, ops),
    staleTranslationNsPerSimSecond: per(safety.staleTranslationNs, simSeconds),
    ipisPerOp: per(cost.ipis, ops),
    tlbFlushesGlobalPerOp: per(cost.tlbFlushesGlobal, ops),
    slowPathRate: per(cost.wouldBlock, ops),
    lazyPurges: result.backendStats?.purges ?? 0,
  };
}
