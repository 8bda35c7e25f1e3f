// The sweep files, rendered in memory: sweep.json always; for a whole sweep also sweep.csv, sweep.md and
// sweep.html (a shard writes only its sweep.json, which merge turns into the rest).
import type { ReportFiles } from '../report/write-reports.ts';
import { sweepCharts } from './chart-data.ts';
import { renderCsv } from './csv.ts';
import { renderSweepHtml } from './html.ts';
import { renderLineChart } from './line-chart.ts';
import { renderSweepMarkdown } from './markdown.ts';
import type { Sweep } from './sweep.ts';
import { CHART_METRICS } from './sweep-metrics.ts';

export function renderSweepJson(sweep: Sweep): string {
  return `${JSON.stringify(sweep, null, 2)}\n`;
}

export async function renderSweepFiles(sweep: Sweep): Promise<ReportFiles> {
  const json = renderSweepJson(sweep);
  if (sweep.shard !== undefined) return { 'sweep.json': json };
  const charts = sweepCharts(sweep, CHART_METRICS);
  const svgs: string[] = [];
  for (const chart of charts) svgs.push(await renderLineChart(chart));
  return {
    'sweep.json': json,
    'sweep.csv': renderCsv(sweep),
    'sweep.md': renderSweepMarkdown(sweep),
    'sweep.html': renderSweepHtml(sweep, charts, svgs),
  };
}
