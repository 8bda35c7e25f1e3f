// sweep.csv: tidy data, one row per point x workload x backend and one column per axis and per metric,
// ready for pandas or DuckDB. Failed points have no rows (sweep.json names them).
import { COST_KEYS, SAFETY_KEYS } from '../metrics.ts';
import { DERIVED_KEYS } from './derived.ts';
import type { Sweep } from './sweep.ts';
import type { AxisValue } from './sweep-file.ts';

function cell(value: string | number | boolean): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function axisCell(value: AxisValue | undefined): string {
  if (value === undefined) return '';
  return cell(Array.isArray(value) ? JSON.stringify(value) : value);
}

export function renderCsv(sweep: Sweep): string {
  const axes = sweep.axes.map((a) => a.name);
  const head = [
    'point',
    ...axes,
    'seed',
    'cpus',
    'workload',
    'backend',
    'ops',
    ...COST_KEYS,
    ...SAFETY_KEYS,
    ...DERIVED_KEYS,
  ];
  const lines = [head.map(cell).join(',')];
  for (const point of sweep.points) {
    for (const e of point.results ?? []) {
      lines.push(
        [
          String(point.index),
          ...axes.map((a) => axisCell(point.axes[a])),
          String(point.config.seed),
          String(point.config.machine.cpus),
          cell(e.workload),
          cell(e.backend),
          String(e.ops),
          ...COST_KEYS.map((k) => String(e.cost[k])),
          ...SAFETY_KEYS.map((k) => String(e.safety[k])),
          ...DERIVED_KEYS.map((k) => String(e.derived[k])),
        ].join(','),
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
