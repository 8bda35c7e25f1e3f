// The data of each sweep chart: for one workload and one metric, the value of every backend at every
// value of the chart's axis, the other axes held at the chart's `fix` values. An axis named `seed`
// (replicates) is averaged over rather than held.

import { describeValue } from './describe-value.ts';
import type { LineChart, LinePoint } from './line-chart.ts';
import type { Sweep } from './sweep.ts';
import { entryValue, metricInfo, type SweepMetric } from './sweep-metrics.ts';

export interface SweepChart extends LineChart {
  readonly workload: string;
  readonly metric: SweepMetric;
  readonly x: string;
  readonly fix: Readonly<Record<string, unknown>>;
}

export function sweepWorkloads(sweep: Sweep): string[] {
  const names: string[] = [];
  for (const p of sweep.points)
    for (const w of Object.keys(p.config.workloads)) if (!names.includes(w)) names.push(w);
  return names;
}

function sweepBackends(sweep: Sweep, workload: string): string[] {
  const names: string[] = [];
  for (const p of sweep.points)
    for (const e of p.results ?? [])
      if (e.workload === workload && !names.includes(e.backend)) names.push(e.backend);
  return names;
}

export function chartData(
  sweep: Sweep,
  workload: string,
  metric: SweepMetric,
  chart: Sweep['charts'][number],
): SweepChart {
  const held = Object.entries(chart.fix).filter(([axis]) => axis !== 'seed' && axis !== chart.x);
  const sums = new Map<string, { x: number; backend: string; sum: number; n: number }>();
  for (const p of sweep.points) {
    if (!held.every(([axis, value]) => JSON.stringify(p.axes[axis]) === JSON.stringify(value))) continue;
    const x = p.axes[chart.x];
    if (typeof x !== 'number') continue;
    for (const e of p.results ?? []) {
      if (e.workload !== workload) continue;
      const key = `${x}\u0000${e.backend}`;
      const acc = sums.get(key) ?? { x, backend: e.backend, sum: 0, n: 0 };
      acc.sum += entryValue(e, metric);
      acc.n += 1;
      sums.set(key, acc);
    }
  }
  const backends = sweepBackends(sweep, workload);
  const points: LinePoint[] = [...sums.values()]
    .map((a) => ({ x: a.x, backend: a.backend, value: a.sum / a.n }))
    .sort((a, b) => a.x - b.x || backends.indexOf(a.backend) - backends.indexOf(b.backend));
  const info = metricInfo(metric);
  const fixed = held.map(([axis, value]) => `${axis}=${describeValue(value as never)}`).join(', ');
  return {
    workload,
    metric,
    x: chart.x,
    fix: Object.fromEntries(held),
    title: `${workload}: ${info.label}`,
    xTitle: fixed === '' ? chart.x : `${chart.x} (${fixed})`,
    yTitle: info.label,
    points,
    backends: backends.filter((b) => points.some((p) => p.backend === b)),
  };
}

/** Every chart of the sweep: per chart axis, per workload, per metric. */
export function sweepCharts(sweep: Sweep, metrics: readonly SweepMetric[]): SweepChart[] {
  return sweep.charts.flatMap((chart) =>
    sweepWorkloads(sweep).flatMap((workload) =>
      metrics.map((metric) => chartData(sweep, workload, metric, chart)),
    ),
  );
}
