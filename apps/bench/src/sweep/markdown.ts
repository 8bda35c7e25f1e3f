// sweep.md: the axes, then per workload one table of the headline figures per point and backend.
import { formatCompact } from '../report/format.ts';
import { sweepWorkloads } from './chart-data.ts';
import { describeValue } from './describe-value.ts';
import type { Sweep } from './sweep.ts';
import { CHART_METRICS, entryValue, metricInfo } from './sweep-metrics.ts';

/** The charted metrics, less the per-simulated-second twin of foreign exposure (sweep.csv has every one). */
const COLUMNS = CHART_METRICS.filter((m) => m !== 'foreignExposurePageNsPerSimSecond');

const pipe = (s: string) => s.replace(/\|/g, '\\|');

export function renderSweepMarkdown(sweep: Sweep): string {
  const out = [
    '# khva-bench sweep',
    '',
    `${sweep.points.length} of ${sweep.pointCount} points (\`${sweep.schema}\`, config ${sweep.configHash.slice(0, 12)}). Every number is modelled; lower is better. Exact values: \`sweep.json\`, \`sweep.csv\`.`,
    '',
    ...sweep.axes.map(
      (a) =>
        `- \`${a.name}\`${a.path === null ? '' : ` (sets \`${a.path}\`)`}: ${a.values.map((v) => describeValue(v)).join(', ')}`,
    ),
    '',
  ];
  const failed = sweep.points.filter((p) => p.error !== undefined);
  if (failed.length > 0) {
    out.push('## Failed points', '', ...failed.map((p) => `- ${pipe(p.id)}: ${pipe(p.error ?? '')}`), '');
  }
  for (const workload of sweepWorkloads(sweep)) {
    out.push(`## ${workload}`, '');
    out.push(`| point | backend | ${COLUMNS.map((c) => metricInfo(c).label).join(' | ')} |`);
    out.push(`| --- | --- | ${COLUMNS.map(() => '---:').join(' | ')} |`);
    for (const p of sweep.points) {
      for (const e of p.results ?? []) {
        if (e.workload !== workload) continue;
        const cells = COLUMNS.map((c) => formatCompact(Number(entryValue(e, c).toPrecision(4))));
        out.push(`| ${pipe(p.id)} | ${e.backend} | ${cells.join(' | ')} |`);
      }
    }
    out.push('');
  }
  return `${out.join('\n')}`;
}
