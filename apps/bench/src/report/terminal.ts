// The table printed at the end of `khva-bench run`: per workload, the backends with the columns that
// differ most between strategies, under short headers (the full set is in report.md). `*` marks the best
// value of a column.
import type { MetricColumn } from '../metrics.ts';
import { METRIC_COLUMNS, metricValue } from '../metrics.ts';
import { bestIndices } from './best.ts';
import { describeBackendOptions, describeKernel, describeMachine } from './describe.ts';
import { formatShort } from './format.ts';
import { entriesOf, type Report } from './report.ts';

/** Metric key -> short header. */
const SHORT: Readonly<Record<string, string>> = {
  cyclesPerOp: 'cyc/op',
  mapFailures: 'mapfail',
  wouldBlock: 'wblock',
  ipis: 'IPIs',
  vaBytesPeak: 'VA peak',
  oopses: 'oops',
  exposurePageNs: 'exposure',
  foreignExposurePageNs: 'foreign',
  staleTranslationNs: 'stale ns',
  useAfterFreeWindows: 'UAF',
  useAfterFreeAccesses: 'UAF wr',
};

const COLUMNS: readonly MetricColumn[] = METRIC_COLUMNS.filter((c) => c.key in SHORT);

const LEGEND =
  'cyc/op cycles per op · mapfail maps refused · wblock sent to the slow path · VA peak bytes · ' +
  'exposure/foreign page·ns · stale ns stale-TLB time · UAF use-after-free windows · UAF wr writes into a freed page';

/** Plain text, no colours: it is also what a CI log shows. */
export function renderTerminalTable(report: Report): string {
  const { config } = report;
  const options =
    Object.keys(config.backendOptions).length === 0
      ? ''
      : ` · ${describeBackendOptions(config.backendOptions)}`;
  const out = [`${describeMachine(config)} · ${describeKernel(config.kernel)}${options}`];
  for (const workload of Object.keys(report.config.workloads)) {
    const entries = entriesOf(report, workload);
    const best = COLUMNS.map((c) => bestIndices(entries.map((e) => metricValue(e, c))));
    const grid = [
      [workload, ...COLUMNS.map((c) => `${SHORT[c.key]} `)],
      ...entries.map((entry, row) => [
        entry.backend,
        ...COLUMNS.map((c, i) => `${formatShort(metricValue(entry, c))}${best[i]?.has(row) ? '*' : ' '}`),
      ]),
    ];
    const widths = grid[0]?.map((_, i) => Math.max(...grid.map((cells) => (cells[i] ?? '').length))) ?? [];
    const lines = grid.map((cells) =>
      cells
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    );
    out.push('', lines[0] ?? '', '-'.repeat(Math.max(...lines.map((l) => l.length))), ...lines.slice(1));
  }
  out.push('', `* best in its column (lower is better everywhere). ${LEGEND}.`);
  out.push('All columns and exact values: report.md, report.json.');
  return `${out.join('\n')}\n`;
}
