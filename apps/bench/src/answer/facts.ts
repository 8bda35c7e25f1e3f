// Every number the answer prints is a Fact: its text, its value and where in the sweep it comes from, so a
// test can recompute each one from sweep.json and check that no sentence holds a number typed by hand.

import type { Sweep } from '../sweep/sweep.ts';
import { entryValue, type SweepMetric } from '../sweep/sweep-metrics.ts';

export type FactSource =
  /** An axis value (a host size). */
  | { readonly kind: 'axis'; readonly axis: string; readonly value: number }
  /**
   * A metric of one workload and backend, summed over the named points (one point: its value), less the
   * same sum for the `minus` backend when there is one (a strategy's cost over the baseline's), then
   * multiplied by `times` and divided by `divide` (unit changes, e.g. bytes to MiB).
   */
  | {
      readonly kind: 'metric';
      readonly points: readonly string[];
      readonly workload: string | null;
      readonly backend: string;
      readonly minus: string | null;
      readonly metric: SweepMetric;
      readonly times: number;
      readonly divide: number;
    };

export interface Fact {
  readonly text: string;
  readonly value: number;
  readonly source: FactSource;
}

/** Numbers in prose: whole numbers grouped (`1,024`), others to three significant digits, big ones `1.47 M`. */
export function formatFact(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1e6) {
    const units = ['', 'k', 'M', 'G', 'T', 'P'];
    let tier = Math.min(Math.floor(Math.log10(Math.abs(value)) / 3), units.length - 1);
    let mantissa = Number((value / 10 ** (tier * 3)).toPrecision(3));
    if (Math.abs(mantissa) >= 1000 && tier < units.length - 1) {
      tier += 1;
      mantissa = Number((value / 10 ** (tier * 3)).toPrecision(3));
    }
    return `${mantissa} ${units[tier]}`;
  }
  const shown = Number.isInteger(value) ? value : Number(value.toPrecision(3));
  const [whole = '', fraction] = String(shown).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

function sumOf(
  sweep: Sweep,
  points: readonly string[],
  workload: string | null,
  backend: string,
  metric: SweepMetric,
): number {
  let sum = 0;
  let found = 0;
  for (const point of sweep.points) {
    if (!points.includes(point.id)) continue;
    for (const e of point.results ?? []) {
      if (e.backend !== backend) continue;
      if (workload !== null && e.workload !== workload) continue;
      sum += entryValue(e, metric);
      found++;
    }
  }
  if (found === 0) throw new Error(`no sweep entry for ${backend} ${workload ?? ''} ${metric}`);
  return sum;
}

/** The value a source stands for, read from the sweep (what the generator and the test both use). */
export function sourceValue(sweep: Sweep, source: FactSource): number {
  if (source.kind === 'axis') return source.value;
  const { points, workload, backend, metric } = source;
  const base = source.minus === null ? 0 : sumOf(sweep, points, workload, source.minus, metric);
  return ((sumOf(sweep, points, workload, backend, metric) - base) * source.times) / source.divide;
}

/** Collects the facts of one answer as it is written. */
export class FactBook {
  readonly facts: Fact[] = [];
  constructor(private readonly sweep: Sweep) {}

  private add(source: FactSource): string {
    const value = sourceValue(this.sweep, source);
    const text = formatFact(value);
    this.facts.push({ text, value, source });
    return text;
  }

  axis(axis: string, value: number): string {
    return this.add({ kind: 'axis', axis, value });
  }

  /** A metric at one point (or summed over several), optionally rescaled. */
  metric(
    points: string | readonly string[],
    workload: string | null,
    backend: string,
    metric: SweepMetric,
    scale: { times?: number; divide?: number; minus?: string } = {},
  ): string {
    return this.add({
      kind: 'metric',
      points: typeof points === 'string' ? [points] : [...points],
      workload,
      backend,
      minus: scale.minus ?? null,
      metric,
      times: scale.times ?? 1,
      divide: scale.divide ?? 1,
    });
  }

  value(
    points: string | readonly string[],
    workload: string | null,
    backend: string,
    metric: SweepMetric,
  ): number {
    return sourceValue(this.sweep, {
      kind: 'metric',
      points: typeof points === 'string' ? [points] : [...points],
      workload,
      backend,
      minus: null,
      metric,
      times: 1,
      divide: 1,
    });
  }
}
