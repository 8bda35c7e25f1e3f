// Every figure of a sweep entry by name (report metrics and derived ones), and the ones sweep charts show.
import { COST_METRICS, type MetricInfo, SAFETY_METRICS } from '../metrics.ts';
import { DERIVED_METRICS } from './derived.ts';
import type { SweepEntry } from './sweep.ts';

export type SweepMetric = keyof SweepEntry['cost'] | keyof SweepEntry['safety'] | keyof SweepEntry['derived'];

export function metricInfo(metric: SweepMetric): MetricInfo {
  if (metric in COST_METRICS) return COST_METRICS[metric as keyof typeof COST_METRICS];
  if (metric in SAFETY_METRICS) return SAFETY_METRICS[metric as keyof typeof SAFETY_METRICS];
  return DERIVED_METRICS[metric as keyof typeof DERIVED_METRICS];
}

export function entryValue(entry: SweepEntry, metric: SweepMetric): number {
  if (metric in entry.cost) return entry.cost[metric as keyof SweepEntry['cost']];
  if (metric in entry.safety) return entry.safety[metric as keyof SweepEntry['safety']];
  return entry.derived[metric as keyof SweepEntry['derived']];
}

/** What sweep.html charts against each axis: cost first, then risk. */
export const CHART_METRICS: readonly SweepMetric[] = [
  'cyclesPerOp',
  'ipis',
  'tlbFlushesGlobal',
  'lazyPurges',
  'vaBytesPeak',
  'foreignExposurePageNsPerOp',
  'foreignExposurePageNsPerSimSecond',
  'staleTranslationNsPerOp',
  'slowPathRate',
  'oopses',
];
