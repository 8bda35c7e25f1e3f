// A horizontal bar chart as inline SVG: one row per backend, the bar length linear in the value from zero,
// the value printed at the end of the bar. An optional second series (a part of the first, such as the
// foreign share of the exposure) is drawn inside the first bar. Every bar carries data-* attributes with
// the exact number, so tests (and readers with dev tools) can check the chart against report.json.
import { bestIndices } from './best.ts';
import { escapeHtml } from './escape.ts';
import { formatShort } from './format.ts';

export interface BarSeries {
  /** Metric key, as in report.json (`cyclesPerOp`, `exposurePageNs`, ...). */
  readonly metric: string;
  readonly label: string;
  /** One value per backend, in backend order. */
  readonly values: readonly number[];
}

export interface BarChart {
  readonly workload: string;
  readonly backends: readonly string[];
  readonly main: BarSeries;
  /** A part of `main`, drawn inside its bar. */
  readonly part?: BarSeries;
}

const LABEL_WIDTH = 144;
const BAR_WIDTH = 150;
const VALUE_WIDTH = 96;
const ROW_HEIGHT = 28;
const BAR_HEIGHT = 18;
const PART_HEIGHT = 8;
const PAD = 6;

function fmt(n: number): string {
  return String(Math.round(n * 100) / 100);
}

function bar(metric: string, chart: BarChart, i: number, value: number, max: number, extra: string): string {
  const backend = chart.backends[i] ?? '';
  const width = max > 0 ? (value / max) * BAR_WIDTH : 0;
  const height = extra.includes('part') ? PART_HEIGHT : BAR_HEIGHT;
  const y = PAD + i * ROW_HEIGHT + (ROW_HEIGHT - BAR_HEIGHT) / 2 + (BAR_HEIGHT - height);
  const attrs = [
    `class="bar ${extra}"`,
    `x="${LABEL_WIDTH}"`,
    `y="${fmt(y)}"`,
    `width="${fmt(width)}"`,
    `height="${height}"`,
    `data-metric="${escapeHtml(metric)}"`,
    `data-workload="${escapeHtml(chart.workload)}"`,
    `data-backend="${escapeHtml(backend)}"`,
    `data-value="${value}"`,
  ];
  return `<rect ${attrs.join(' ')}><title>${escapeHtml(`${backend}: ${value}`)}</title></rect>`;
}

export function renderBarChart(chart: BarChart): string {
  const { backends, main, part } = chart;
  const max = Math.max(0, ...main.values, ...(part?.values ?? []));
  const best = bestIndices(main.values);
  const height = PAD * 2 + backends.length * ROW_HEIGHT;
  const width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH;
  const rows = backends.map((backend, i) => {
    const value = main.values[i] ?? 0;
    const partValue = part?.values[i];
    const mid = fmt(PAD + i * ROW_HEIGHT + ROW_HEIGHT / 2);
    const end = LABEL_WIDTH + (max > 0 ? (value / max) * BAR_WIDTH : 0) + 6;
    const label =
      partValue === undefined ? formatShort(value) : `${formatShort(value)} / ${formatShort(partValue)}`;
    const isBest = best.has(i);
    return [
      `<g class="row${isBest ? ' best' : ''}">`,
      `<text class="backend" x="${LABEL_WIDTH - 8}" y="${mid}" text-anchor="end" dominant-baseline="central">${escapeHtml(backend)}</text>`,
      bar(main.metric, chart, i, value, max, isBest ? 'main best' : 'main'),
      partValue === undefined ? '' : bar(part?.metric ?? '', chart, i, partValue, max, 'part'),
      `<text class="value" x="${fmt(end)}" y="${mid}" dominant-baseline="central">${escapeHtml(label)}${isBest ? ' ✓' : ''}</text>`,
      '</g>',
    ].join('');
  });
  const title = part === undefined ? main.label : `${main.label} and ${part.label}`;
  return [
    `<svg class="bar-chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"`,
    ` aria-label="${escapeHtml(`${chart.workload}: ${title}`)}">`,
    `<line class="axis" x1="${LABEL_WIDTH}" y1="${PAD / 2}" x2="${LABEL_WIDTH}" y2="${height - PAD / 2}"/>`,
    ...rows,
    '</svg>',
  ].join('');
}
