// sweep.html: one self-contained page (no scripts, no network: a CSP forbids them) with the sweep's line
// charts, rendered to SVG by vega at build time, and the list of points.
import { escapeHtml } from '../report/escape.ts';
import { htmlPage } from '../report/html-page.ts';
import type { SweepChart } from './chart-data.ts';
import { describeValue } from './describe-value.ts';
import type { Sweep } from './sweep.ts';
import { metricInfo } from './sweep-metrics.ts';

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6474; --line: #dde2ea; --bg: #f4f6f9; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { margin: 0 0 4px; font-size: 26px; }
h2 { margin: 24px 0 8px; font-size: 20px; }
code { font: 12.5px/1.4 ui-monospace, Menlo, Consolas, monospace; background: #eef1f6; padding: 1px 5px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 14px 18px; margin: 0 0 16px; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px; }
figure { margin: 0; padding: 8px; border: 1px solid var(--line); border-radius: 8px; background: #fff; }
figcaption { color: var(--muted); font-size: 12px; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; }
.failed { color: #b42318; }
`;

function figure(chart: SweepChart, svg: string): string {
  const info = metricInfo(chart.metric);
  const attrs = [
    `data-workload="${escapeHtml(chart.workload)}"`,
    `data-metric="${escapeHtml(chart.metric)}"`,
    `data-x="${escapeHtml(chart.x)}"`,
    `data-backends="${escapeHtml(JSON.stringify(chart.backends))}"`,
    `data-values="${escapeHtml(JSON.stringify(chart.points))}"`,
  ].join(' ');
  return `<figure class="sweep-chart" ${attrs}>${svg}<figcaption>${escapeHtml(info.description)}</figcaption></figure>`;
}

export function renderSweepHtml(
  sweep: Sweep,
  charts: readonly SweepChart[],
  svgs: readonly string[],
): string {
  const groups = new Map<string, string[]>();
  charts.forEach((chart, i) => {
    const key = `${chart.workload} against ${chart.x}`;
    const list = groups.get(key) ?? [];
    list.push(figure(chart, svgs[i] ?? ''));
    groups.set(key, list);
  });
  const sections = [...groups].map(
    ([title, figures]) =>
      `<section><h2>${escapeHtml(title)}</h2><div class="charts">${figures.join('\n')}</div></section>`,
  );
  const axes = sweep.axes
    .map(
      (a) =>
        `<li><code>${escapeHtml(a.name)}</code>: ${escapeHtml(a.values.map((v) => describeValue(v)).join(', '))}</li>`,
    )
    .join('');
  const rows = sweep.points
    .map(
      (p) =>
        `<tr${p.error === undefined ? '' : ' class="failed"'}><td>${p.index}</td><td>${escapeHtml(p.id)}</td><td>${escapeHtml(p.error ?? `${p.results?.length ?? 0} runs`)}</td></tr>`,
    )
    .join('');
  return htmlPage(
    'khva-bench sweep',
    STYLE,
    `<section class="card"><p>${sweep.points.length} points; every number is <b>modelled</b> (deterministic for the config and seed), lower is better everywhere. Each chart holds the axes not on its x axis at the value in its x title; replicates (<code>seed</code>) are averaged. Log scales where values span two decades or more. The data is in <code>sweep.json</code> and <code>sweep.csv</code>.</p><ul>${axes}</ul></section>
${sections.join('\n')}
<section class="card"><h2>Points</h2><table><thead><tr><th>#</th><th>point</th><th>outcome</th></tr></thead><tbody>${rows}</tbody></table></section>
<footer>${escapeHtml(sweep.schema)} · config ${sweep.configHash.slice(0, 12)} · build ${escapeHtml(sweep.build.slice(0, 12))}</footer>`,
  );
}
