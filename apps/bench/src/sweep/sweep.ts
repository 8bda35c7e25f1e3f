// sweep.json's content (`khva.sweep/v1`): the plan's axes and every point with its config and one entry
// per (workload, backend). No wall time, no dates, no shard layout in a whole sweep: the same sweep file
// and build give the same bytes, on one machine or merged from shards.
import type { BenchConfig } from '../config/bench-config.ts';
import { buildReport, type ReportEntry } from '../report/report.ts';
import type { MatrixRun } from '../run/run-matrix.ts';
import { type DerivedMetrics, deriveMetrics } from './derived.ts';
import type { ChartPlan, SweepAxis, SweepPlan, SweepPoint } from './plan.ts';
import type { AxisValue } from './sweep-file.ts';

export const SWEEP_SCHEMA = 'khva.sweep/v1';

export interface SweepEntry extends ReportEntry {
  derived: DerivedMetrics;
}

export interface SweepPointResult {
  index: number;
  id: string;
  axes: Record<string, AxisValue>;
  config: BenchConfig;
  /** Absent when the point failed. */
  results?: SweepEntry[];
  /** Why the point failed (its other results are lost; the other points' are not). */
  error?: string;
}

export interface Sweep {
  schema: typeof SWEEP_SCHEMA;
  configHash: string;
  /** Hash of the code that ran it: shards of different builds do not merge. */
  build: string;
  axes: { name: string; path: string | null; values: AxisValue[] }[];
  charts: { x: string; fix: Record<string, AxisValue> }[];
  /** Points in the whole sweep (a shard holds some of them). */
  pointCount: number;
  /** Present only in a shard's output. */
  shard?: { index: number; count: number };
  points: SweepPointResult[];
}

/** The outcome of one point: its runs, or the reason it failed. */
export type PointOutcome = { ok: true; runs: MatrixRun[] } | { ok: false; error: string };

export function pointResult(point: SweepPoint, outcome: PointOutcome): SweepPointResult {
  const base = { index: point.index, id: point.id, axes: { ...point.axes }, config: point.config };
  if (!outcome.ok) return { ...base, error: outcome.error };
  const report = buildReport(point.config, outcome.runs);
  const results = report.results.map((entry, i): SweepEntry => {
    const run = outcome.runs.find((r) => r.workload === entry.workload && r.backend === entry.backend);
    if (run === undefined) throw new Error(`point ${point.id}: no run for entry ${i}`);
    return { ...entry, derived: deriveMetrics(run.result, point.config.machine.ghz) };
  });
  return { ...base, results };
}

/** What every output of one sweep shares, shards included. */
export type SweepHeader = Pick<Sweep, 'configHash' | 'build' | 'axes' | 'charts' | 'pointCount'>;

export function sweepHeader(plan: SweepPlan, build: string): SweepHeader {
  return {
    configHash: plan.configHash,
    build,
    axes: plan.axes.map((a: SweepAxis) => ({ name: a.name, path: a.path ?? null, values: [...a.values] })),
    charts: plan.charts.map((c: ChartPlan) => ({ x: c.x, fix: { ...c.fix } })),
    pointCount: plan.points.length,
  };
}

export function buildSweep(
  header: SweepHeader,
  points: readonly SweepPointResult[],
  shard?: { index: number; count: number },
): Sweep {
  return {
    schema: SWEEP_SCHEMA,
    configHash: header.configHash,
    build: header.build,
    axes: header.axes.map((a) => ({ name: a.name, path: a.path, values: [...a.values] })),
    charts: header.charts.map((c) => ({ x: c.x, fix: { ...c.fix } })),
    pointCount: header.pointCount,
    ...(shard === undefined ? {} : { shard: { index: shard.index, count: shard.count } }),
    points: [...points].sort((a, b) => a.index - b.index),
  };
}

export function failedPoints(sweep: Sweep): SweepPointResult[] {
  return sweep.points.filter((p) => p.error !== undefined);
}
