// report.md: per workload, a cost table and a safety table with backends as rows; the best value of each
// column in bold (lower is better everywhere).
import { METRIC_COLUMNS, type MetricColumn, metricValue } from '../metrics.ts';
import { bestIndices } from './best.ts';
import {
  describeBackendOptions,
  describeCalibration,
  describeKernel,
  describeMachine,
  describeParams,
} from './describe.ts';
import { escapeMarkdownCell } from './escape.ts';
import { formatCompact, formatExact } from './format.ts';
import { entriesOf, type Report, type ReportEntry } from './report.ts';

function table(
  entries: readonly ReportEntry[],
  columns: readonly MetricColumn[],
  withOps: boolean,
): string[] {
  const header = ['backend', ...(withOps ? ['ops'] : []), ...columns.map((c) => c.info.label)];
  const align = ['---', ...header.slice(1).map(() => '--:')];
  const best = columns.map((c) => bestIndices(entries.map((e) => metricValue(e, c))));
  const rows = entries.map((entry, row) => [
    escapeMarkdownCell(entry.backend),
    ...(withOps ? [formatExact(entry.ops)] : []),
    ...columns.map((column, i) => {
      const text = formatCompact(metricValue(entry, column));
      return best[i]?.has(row) ? `**${text}**` : text;
    }),
  ]);
  return [header, align, ...rows].map((cells) => `| ${cells.join(' | ')} |`);
}

function legend(): string[] {
  return [
    '## How to read this report',
    '',
    '- Every number is **modelled** (what the kernel would pay or risk for this seed), not a measurement of this',
    '  host. The same config and seed give the same numbers; the exact values are in `report.json`.',
    '- Each workload has one row per backend. Every column is a cost or a risk, so **lower is better in every',
    '  column**; the best value of a column is **bold** (all ties are bold; nothing is bold when all rows are equal).',
    '- Large numbers are shortened to three significant digits (k = 10^3, M = 10^6, G = 10^9, T = 10^12).',
    '',
    ...METRIC_COLUMNS.map((c) => `- **${c.info.label}** (\`${c.group}.${c.key}\`): ${c.info.description}.`),
  ];
}

export function renderMarkdown(report: Report): string {
  const { config } = report;
  const cost = METRIC_COLUMNS.filter((c) => c.group === 'cost');
  const safety = METRIC_COLUMNS.filter((c) => c.group === 'safety');
  const lines = [
    '# khva-bench report',
    '',
    `- Machine: ${describeMachine(config)}`,
    `- Kernel: ${describeKernel(config.kernel)}`,
    `- Calibration: ${describeCalibration(config.calibration)}`,
    `- Backend options: ${describeBackendOptions(config.backendOptions)}`,
    `- Backends: ${config.backends.join(', ')}`,
    '',
    'Lower is better in every column; the best value of each column is **bold**.',
  ];
  for (const [workload, params] of Object.entries(config.workloads)) {
    const entries = entriesOf(report, workload);
    lines.push(
      '',
      `## ${workload}`,
      '',
      `Parameters: \`${describeParams(params)}\``,
      '',
      '### Cost',
      '',
      ...table(entries, cost, true),
      '',
      '### Safety',
      '',
      ...table(entries, safety, false),
    );
    for (const entry of entries) {
      for (const note of entry.notes ?? []) lines.push('', `> ${entry.backend}: ${note}`);
    }
  }
  lines.push('', ...legend());
  return `${lines.join('\n')}\n`;
}
