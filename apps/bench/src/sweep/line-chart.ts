// Line charts as static SVG: a vega-lite spec compiled and rendered by vega in Node (no browser, no
// canvas, no script in the page). One line per backend; log scales when the values span decades.
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface LinePoint {
  readonly x: number;
  readonly backend: string;
  readonly value: number;
}

export interface LineChart {
  readonly title: string;
  readonly xTitle: string;
  readonly yTitle: string;
  readonly points: readonly LinePoint[];
  /** Backends in legend order (and colour order). */
  readonly backends: readonly string[];
}

export type ScaleKind = 'linear' | 'log' | 'symlog';

/** Values spanning at least this ratio get a logarithmic axis. */
const DECADES = 100;

/** Log when positive values span two decades or more (symlog when zeros are among them), else linear. */
export function scaleFor(values: readonly number[], base = DECADES): ScaleKind {
  const positive = values.filter((v) => v > 0);
  if (positive.length < 2) return 'linear';
  const span = Math.max(...positive) / Math.min(...positive);
  if (span < base) return 'linear';
  return positive.length === values.length ? 'log' : 'symlog';
}

/** The x axis: log base 2 when the sizes double (1, 2, 4, ... 1024). */
export function xScaleFor(values: readonly number[]): ScaleKind {
  return scaleFor(values, 8);
}

export function chartSpec(chart: LineChart): TopLevelSpec {
  const yScale = scaleFor(chart.points.map((p) => p.value));
  const xScale = xScaleFor(chart.points.map((p) => p.x));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: chart.title,
    width: 360,
    height: 220,
    background: 'white',
    data: { values: chart.points.map((p) => ({ ...p })) },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: chart.xTitle,
        scale: xScale === 'linear' ? { zero: false } : { type: 'log', base: 2 },
        axis: { format: '~s' },
      },
      y: {
        field: 'value',
        type: 'quantitative',
        title: chart.yTitle,
        scale: yScale === 'linear' ? {} : { type: yScale },
        axis: { format: '~s' },
      },
      color: { field: 'backend', type: 'nominal', title: 'backend', sort: [...chart.backends] },
    },
    config: { font: 'sans-serif' },
  };
}

/** Renders the chart to an SVG document (deterministic for the same chart). */
export async function renderLineChart(chart: LineChart): Promise<string> {
  const view = new View(parse(compile(chartSpec(chart)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
