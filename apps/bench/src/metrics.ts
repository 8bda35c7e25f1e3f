// The reported metrics, in report column order, with what each one means. Lower is better for all of them.
import type { CostMetrics, SafetyMetrics } from './workload.ts';

export interface MetricInfo {
  /** Column header. */
  readonly label: string;
  /** Counted events (must be whole numbers) rather than a measure. */
  readonly integer: boolean;
  readonly description: string;
}

export const COST_METRICS: { readonly [K in keyof CostMetrics]: MetricInfo } = {
  cycles: { label: 'cycles', integer: false, description: 'modelled CPU cycles spent in the gpc path' },
  cyclesPerOp: { label: 'cycles/op', integer: false, description: 'cycles divided by ops' },
  mapCalls: { label: 'maps', integer: true, description: 'calls into the backend to map a page' },
  unmapCalls: { label: 'unmaps', integer: true, description: 'calls into the backend to unmap a page' },
  mapFailures: { label: 'map fails', integer: true, description: 'maps the backend refused' },
  wouldBlock: {
    label: 'would block',
    integer: true,
    description: 'accesses sent to the slow path because the fast path could not use the mapping here',
  },
  tlbFlushesLocal: { label: 'local flushes', integer: true, description: 'TLB flushes on one CPU' },
  tlbFlushesGlobal: {
    label: 'global flushes',
    integer: true,
    description: 'kernel-range flushes on every CPU',
  },
  ipis: {
    label: 'IPIs',
    integer: true,
    description: 'inter-processor interrupts sent: TLB shootdowns and vCPU kicks',
  },
  vaBytesPeak: {
    label: 'VA bytes peak',
    integer: true,
    description: 'most kernel virtual address space in use',
  },
  pageTablePages: { label: 'PT pages', integer: true, description: 'page-table pages allocated' },
  directMapSplits: { label: 'DM splits', integer: true, description: 'large direct-map leaves split' },
};

export const SAFETY_METRICS: { readonly [K in keyof SafetyMetrics]: MetricInfo } = {
  oopses: { label: 'oopses', integer: true, description: 'kernel accesses with no translation' },
  faults: { label: 'faults', integer: true, description: 'user-address faults the caller could not take' },
  exposurePageNs: {
    label: 'exposure page·ns',
    integer: false,
    description: "guest frames reachable from kernel mappings other than the VM's vCPU threads, over time",
  },
  foreignExposurePageNs: {
    label: 'foreign page·ns',
    integer: false,
    description: "the part of the exposure reachable from mms other than the VM's",
  },
  staleTranslationNs: {
    label: 'stale ns',
    integer: false,
    description: 'time TLB entries outlived their page-table entry',
  },
  useAfterFreeWindows: {
    label: 'UAF windows',
    integer: true,
    description: 'stale translations to a frame already freed or reused',
  },
  useAfterFreeAccesses: {
    label: 'UAF writes',
    integer: true,
    description: 'gpc accesses that landed on a frame already freed or reused',
  },
};

export const COST_KEYS = Object.keys(COST_METRICS) as (keyof CostMetrics)[];
export const SAFETY_KEYS = Object.keys(SAFETY_METRICS) as (keyof SafetyMetrics)[];

/** A report column: one metric of one group. */
export type MetricColumn =
  | { readonly group: 'cost'; readonly key: keyof CostMetrics; readonly info: MetricInfo }
  | { readonly group: 'safety'; readonly key: keyof SafetyMetrics; readonly info: MetricInfo };

export const METRIC_COLUMNS: readonly MetricColumn[] = [
  ...COST_KEYS.map((key): MetricColumn => ({ group: 'cost', key, info: COST_METRICS[key] })),
  ...SAFETY_KEYS.map((key): MetricColumn => ({ group: 'safety', key, info: SAFETY_METRICS[key] })),
];

/** The value of a column in a result. */
export function metricValue(
  result: { cost: CostMetrics; safety: SafetyMetrics },
  column: MetricColumn,
): number {
  return column.group === 'cost' ? result.cost[column.key] : result.safety[column.key];
}
