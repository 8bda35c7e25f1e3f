// report.html: one self-contained page (no scripts, no fonts, no network: a CSP forbids all of it) with,
// per workload, bar charts of cost per op, IPIs and exposure, and the same tables as report.md.
import { METRIC_COLUMNS, type MetricColumn, metricValue } from '../metrics.ts';
import { bestIndices } from './best.ts';
import {
  describeBackendOptions,
  describeCalibration,
  describeKernel,
  describeMachine,
  describeParams,
} from './describe.ts';
import { escapeHtml } from './escape.ts';
import { formatCompact, formatExact } from './format.ts';
import { htmlPage } from './html-page.ts';
import { entriesOf, type Report, type ReportEntry } from './report.ts';
import { type BarChart, renderBarChart } from './svg-bar-chart.ts';

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6474; --line: #dde2ea; --card: #fff; --bg: #f4f6f9;
  --main: #4f7fd9; --best: #2f9e6a; --part: #c2410c; --best-bg: #e3f5ec; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 0; font-size: 20px; }
h3 { margin: 18px 0 6px; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #eef1f6;
  padding: 1px 5px; border-radius: 4px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 8px; margin: 10px 0 18px; padding: 0; list-style: none; }
.meta li { background: var(--card); border: 1px solid var(--line); border-radius: 999px; padding: 2px 10px;
  color: var(--muted); font-size: 12.5px; }
.meta b { color: var(--ink); font-weight: 600; }
nav { margin: 0 0 18px; font-size: 13px; }
nav a { color: var(--main); margin-right: 14px; text-decoration: none; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px;
  margin: 0 0 18px; box-shadow: 0 1px 2px rgb(20 30 50 / 4%); }
.how ul { margin: 6px 0 0; padding-left: 20px; }
.how li { margin: 3px 0; }
.params { margin: 2px 0 8px; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 12px; }
figure { margin: 0; padding: 10px 12px 8px; border: 1px solid var(--line); border-radius: 8px; min-width: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
figcaption small { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
.key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 4px 0 10px;
  vertical-align: -1px; }
.key.main { background: var(--main); }
.key.part { background: var(--part); }
.bar-chart { display: block; width: 100%; height: auto; }
.bar-chart text { font-size: 13px; fill: var(--ink); }
.bar-chart .value { fill: var(--muted); font-variant-numeric: tabular-nums; }
.bar-chart .best .value { fill: var(--best); font-weight: 700; }
.bar-chart .axis { stroke: #aab2c0; stroke-width: 1; }
.bar.main { fill: var(--main); }
.bar.main.best { fill: var(--best); }
.bar.part { fill: var(--part); }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { font-weight: 600; color: var(--muted); font-size: 11.5px; border-bottom: 2px solid var(--line);
  white-space: normal; vertical-align: bottom; line-height: 1.25; }
th:first-child, td:first-child { text-align: left; }
td.best { background: var(--best-bg); color: #17633f; font-weight: 700; }
.note { color: var(--muted); font-size: 12.5px; margin: 6px 0 0; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
`;

/** The charts each workload gets: metric key and title (the exposure chart also shows the foreign part). */
const CHARTS = [
  { metric: 'cyclesPerOp', title: 'Cost per op', unit: 'modelled cycles per gpc access' },
  { metric: 'ipis', title: 'IPIs', unit: 'inter-processor interrupts (TLB shootdowns, vCPU kicks)' },
  { metric: 'exposurePageNs', title: 'Exposure', unit: 'page·ns', part: 'foreignExposurePageNs' },
] as const;

function column(key: string): MetricColumn {
  const found = METRIC_COLUMNS.find((c) => c.key === key);
  if (found === undefined) throw new Error(`no metric ${key}`);
  return found;
}

function series(entries: readonly ReportEntry[], key: string) {
  const c = column(key);
  return { metric: c.key, label: c.info.label, values: entries.map((e) => metricValue(e, c)) };
}

function chartFigure(
  workload: string,
  entries: readonly ReportEntry[],
  spec: (typeof CHARTS)[number],
): string {
  const chart: BarChart = {
    workload,
    backends: entries.map((e) => e.backend),
    main: series(entries, spec.metric),
    ...('part' in spec ? { part: series(entries, spec.part) } : {}),
  };
  const legend =
    'part' in spec
      ? ': <span class="key main"></span>all <span class="key part"></span>from foreign mms'
      : '';
  return [
    `<figure class="chart" data-chart="${spec.metric}" data-workload="${escapeHtml(workload)}">`,
    `<figcaption>${spec.title}<small>${spec.unit}${legend}</small></figcaption>`,
    renderBarChart(chart),
    '</figure>',
  ].join('');
}

function table(entries: readonly ReportEntry[], columns: readonly MetricColumn[], withOps: boolean): string {
  const best = columns.map((c) => bestIndices(entries.map((e) => metricValue(e, c))));
  const head = ['backend', ...(withOps ? ['ops'] : []), ...columns.map((c) => c.info.label)]
    .map((h, i) => {
      const c = columns[i - (withOps ? 2 : 1)];
      return `<th${c === undefined ? '' : ` title="${escapeHtml(c.info.description)}"`}>${escapeHtml(h)}</th>`;
    })
    .join('');
  const rows = entries.map((entry, row) => {
    const cells = columns.map((c, i) => {
      const value = metricValue(entry, c);
      const isBest = best[i]?.has(row) === true;
      return `<td${isBest ? ' class="best"' : ''} title="${value}">${escapeHtml(formatCompact(value))}</td>`;
    });
    const ops = withOps ? `<td>${formatExact(entry.ops)}</td>` : '';
    return `<tr><td>${escapeHtml(entry.backend)}</td>${ops}${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function howToRead(): string {
  return `<section class="card how"><h2>How to read this report</h2><ul>
<li>Every number is <b>modelled</b>: what the kernel would pay or risk on this workload for this seed, not a measurement of this machine. The same config and seed always give the same numbers; the exact values are in <code>report.json</code>.</li>
<li><b>Lower is better in every column and every chart.</b> The best value is green (ties are all green; nothing is marked when all backends are equal).</li>
<li><b>Cost per op</b> is the modelled cycles per gpc access; <b>IPIs</b> are the interrupts other CPUs took, for TLB shootdowns and for kicks of a vCPU whose event took the slow path; <b>exposure</b> is how long guest pages stayed reachable from kernel mappings other than the VM's own vCPU threads (page·ns), the orange part being reachable from other processes' address spaces.</li>
<li>Bars start at zero and share one scale per chart; large numbers are shortened (k = thousand, M = million, G = billion, T = 10^12); hover a bar or a cell for the exact value.</li>
</ul></section>`;
}

export function renderHtml(report: Report): string {
  const { config } = report;
  const cost = METRIC_COLUMNS.filter((c) => c.group === 'cost');
  const safety = METRIC_COLUMNS.filter((c) => c.group === 'safety');
  const workloads = Object.entries(config.workloads);
  const sections = workloads.map(([workload, params]) => {
    const entries = entriesOf(report, workload);
    const notes = entries.flatMap((e) =>
      (e.notes ?? []).map((n) => `<p class="note">${escapeHtml(e.backend)}: ${escapeHtml(n)}</p>`),
    );
    return [
      `<section class="card workload" id="workload-${escapeHtml(workload)}" data-workload="${escapeHtml(workload)}">`,
      `<h2>${escapeHtml(workload)}</h2>`,
      `<p class="params">Parameters: <code>${escapeHtml(describeParams(params))}</code></p>`,
      `<div class="charts">${CHARTS.map((spec) => chartFigure(workload, entries, spec)).join('')}</div>`,
      '<h3>Cost</h3>',
      table(entries, cost, true),
      '<h3>Safety</h3>',
      table(entries, safety, false),
      ...notes,
      '</section>',
    ].join('\n');
  });
  const meta = [
    ['Machine', describeMachine(config)],
    ['Kernel', describeKernel(config.kernel)],
    ['Calibration', describeCalibration(config.calibration)],
    ['Backend options', describeBackendOptions(config.backendOptions)],
  ]
    .map(([k, v]) => `<li><b>${k}</b> ${escapeHtml(v ?? '')}</li>`)
    .join('');
  const nav = workloads.map(([w]) => `<a href="#workload-${escapeHtml(w)}">${escapeHtml(w)}</a>`).join('');
  return htmlPage(
    'khva-bench report',
    STYLE,
    `<ul class="meta">${meta}</ul>
<nav>${nav}</nav>
${howToRead()}
${sections.join('\n')}
<footer>${escapeHtml(report.schema)} · generated by khva-bench from the config and seed above; the data is in report.json.</footer>`,
  );
}
