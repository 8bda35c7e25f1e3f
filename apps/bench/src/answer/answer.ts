// docs/answer.md: the seed series' question answered from a sweep (apps/bench/configs/seed-question.yaml).
// The first paragraph gives each strategy's cost and risk, where the curves cross and what the model
// recommends; every number in it is a Fact read from the sweep (facts.ts), never typed here.
import type { CalibrationTable } from '@khva/memory-core';
import { chartData, type SweepChart } from '../sweep/chart-data.ts';
import { describeValue } from '../sweep/plan.ts';
import type { Sweep, SweepPointResult } from '../sweep/sweep.ts';
import type { AxisValue } from '../sweep/sweep-file.ts';
import type { SweepMetric } from '../sweep/sweep-metrics.ts';
import { type Fact, FactBook } from './facts.ts';

/** The baseline that is known broken (guest pages removed from the direct map are not reachable there). */
export const BASELINE = 'direct-map';
/** The cover letter's figures, quoted as written (shared/spec/thread-and-revisions.md, RFC v3). */
export const COVER_LETTER_VA = '1024 gpcs = 4 MB of vmalloc VA (normal) or 5121 gpcs ~ 20 MB (Xen)';
const XEN_COVER_LETTER_GPCS = 5121;
const MIB = 1024 * 1024;

export interface AnswerChart {
  /** File name beside answer.md, under answer/. */
  readonly file: string;
  readonly chart: SweepChart;
}

export interface Answer {
  readonly markdown: string;
  /** The first paragraph (the answer itself). */
  readonly firstParagraph: string;
  readonly facts: readonly Fact[];
  readonly charts: readonly AnswerChart[];
}

export interface AnswerInput {
  readonly sweep: Sweep;
  /** The command that regenerates the answer, written at its top. */
  readonly command: string;
  /** The sweep file it ran, for the text. */
  readonly sweepFile: string;
  readonly calibration: CalibrationTable;
}

function matches(point: SweepPointResult, fix: Readonly<Record<string, AxisValue>>, skip: string): boolean {
  return Object.entries(fix).every(
    ([axis, value]) => axis === skip || JSON.stringify(point.axes[axis]) === JSON.stringify(value),
  );
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Where two backends' curves change order along the chart's axis: [lower x, upper x] pairs. */
function crossings(chart: SweepChart, a: string, b: string): [number, number][] {
  const xs = [...new Set(chart.points.map((p) => p.x))].sort((p, q) => p - q);
  const at = (backend: string, x: number) =>
    chart.points.find((p) => p.backend === backend && p.x === x)?.value;
  const out: [number, number][] = [];
  let last: { x: number; sign: number } | undefined;
  for (const x of xs) {
    const va = at(a, x);
    const vb = at(b, x);
    if (va === undefined || vb === undefined) continue;
    const sign = Math.sign(va - vb);
    if (sign === 0) continue;
    if (last !== undefined && last.sign !== sign) out.push([last.x, x]);
    last = { x, sign };
  }
  return out;
}

export function buildAnswer(input: AnswerInput): Answer {
  const { sweep } = input;
  const book = new FactBook(sweep);
  const main = sweep.charts[0];
  if (main === undefined) throw new Error('the sweep has no chart axis to answer along');
  const x = main.x;
  const along = sweep.points
    .filter((p) => p.error === undefined && matches(p, main.fix, x) && typeof p.axes[x] === 'number')
    .sort((p, q) => Number(p.axes[x]) - Number(q.axes[x]));
  const small = along[0];
  const big = along[along.length - 1];
  if (small === undefined || big === undefined) throw new Error(`no point along ${x}`);
  const workloads = Object.keys(big.config.workloads);
  const has = (w: string) => workloads.includes(w);
  const clock = has('kvmclock') ? 'kvmclock' : (workloads[0] as string);
  const xen = has('xen-evtchn') ? 'xen-evtchn' : undefined;
  const churn = has('vm-churn') ? 'vm-churn' : undefined;
  const strategies = big.config.backends.filter((b) => b !== BASELINE);
  const backends = big.config.backends;
  const allIds = sweep.points.filter((p) => p.error === undefined).map((p) => p.id);
  const flushAxis = sweep.axes.find((a) => a.name === 'kernel.flushOnZap');
  const bigNoFlush =
    flushAxis === undefined
      ? undefined
      : sweep.points.find(
          (p) =>
            p.error === undefined &&
            p.axes['kernel.flushOnZap'] === false &&
            Object.entries(big.axes).every(
              ([axis, v]) =>
                axis === 'kernel.flushOnZap' || JSON.stringify(p.axes[axis]) === JSON.stringify(v),
            ),
        );
  const vmsOf = (p: SweepPointResult) => (typeof p.axes.vms === 'number' ? p.axes.vms : undefined);
  const host = (p: SweepPointResult) => {
    const vms = vmsOf(p);
    return `${book.axis(x, Number(p.axes[x]))} ${x}${vms === undefined ? '' : ` in ${book.axis('vms', vms)} VMs`}`;
  };

  const sentences: string[] = [];
  sentences.push(
    `Every number here is modelled, not measured: khva's cost model and safety oracle run on the points of \`${input.sweepFile}\`, with the calibration rows listed at the end; cycles per op are a run's cycles, VM setup included, over its gpc accesses.`,
  );
  // Cost, per strategy, on the biggest host of the main axis: what each adds to the baseline, which pays the
  // same guest setup (guest_memfd pages leaving the direct map) but maps nothing.
  const over = (b: string, metric: SweepMetric) => {
    const text = book.metric(big.id, clock, b, metric, { minus: BASELINE });
    return text.startsWith('-') ? text : `+${text}`;
  };
  const costs = strategies.map((b) => {
    const parts = [
      `${over(b, 'cyclesPerOp')} cycles/op`,
      `${over(b, 'ipisPerOp')} IPIs/op`,
      `${over(b, 'tlbFlushesGlobalPerOp')} global flushes/op`,
      `${book.metric(big.id, clock, b, 'vaBytesPeak', { divide: MIB })} MiB of kernel VA at peak`,
    ];
    if (churn !== undefined)
      parts.push(
        `${book.metric(big.id, churn, b, 'lazyPurges')} lazy-purge stalls per ${churn} run (the purge at its end included)`,
      );
    return `**${b}** ${parts.join(', ')}`;
  });
  sentences.push(
    `On ${clock} with ${host(big)}, ${BASELINE} (the broken baseline, which maps nothing) pays ${book.metric(big.id, clock, BASELINE, 'cyclesPerOp')} cycles/op, ${book.metric(big.id, clock, BASELINE, 'ipisPerOp')} IPIs/op and ${book.metric(big.id, clock, BASELINE, 'tlbFlushesGlobalPerOp')} global flushes/op, nearly all of it the guest's setup (guest_memfd pages leaving the direct map, each removal a flush of every CPU); over that, ${costs.join('; ')}.`,
  );
  // Risk.
  const riskWorkload = xen ?? clock;
  const risks = backends.map(
    (b) =>
      `${b} ${book.metric(big.id, riskWorkload, b, 'foreignExposurePageNsPerOp')} page·ns/op exposed to foreign mms` +
      (xen === undefined ? '' : `, Xen IRQ slow-path rate ${book.metric(big.id, xen, b, 'slowPathRate')}`) +
      `, ${book.metric(allIds, null, b, 'oopses')} oopses over the whole sweep`,
  );
  sentences.push(`Risk on ${riskWorkload} at the same size: ${risks.join('; ')}.`);
  if (bigNoFlush !== undefined) {
    const stale = backends.filter(
      (b) =>
        book.value(bigNoFlush.id, clock, b, 'staleTranslationNsPerOp') >
        book.value(big.id, clock, b, 'staleTranslationNsPerOp'),
    );
    sentences.push(
      stale.length === 0
        ? 'Without the TLB flush after direct-map removal (flushOnZap off) no backend keeps stale translations longer.'
        : `Without the TLB flush after direct-map removal (flushOnZap off), stale translations per op on ${clock} grow for ${list(
            stale.map(
              (b) =>
                `${b} (${book.metric(big.id, clock, b, 'staleTranslationNsPerOp')} to ${book.metric(bigNoFlush.id, clock, b, 'staleTranslationNsPerOp')} ns/op)`,
            ),
          )}.`,
    );
  }
  // Where the cost curves cross.
  const crossText: string[] = [];
  for (const w of [clock, ...(xen === undefined ? [] : [xen])]) {
    const chart = chartData(sweep, w, 'cyclesPerOp', main);
    for (let i = 0; i < strategies.length; i++) {
      for (let j = i + 1; j < strategies.length; j++) {
        const a = strategies[i] as string;
        const b = strategies[j] as string;
        for (const [lo, hi] of crossings(chart, a, b)) {
          crossText.push(`${a} and ${b} on ${w} between ${book.axis(x, lo)} and ${book.axis(x, hi)} ${x}`);
        }
      }
    }
  }
  sentences.push(
    crossText.length === 0
      ? `No cycles/op curves of the strategies cross along ${x}: their order is the same at every size.`
      : `The strategies' cycles/op differ little beside that setup, and their curves cross for ${list(crossText.slice(0, 6))}${crossText.length > 6 ? ` (and ${book.axis('crossings', crossText.length - 6)} more crossings, in sweep.json)` : ''}.`,
  );
  // What the model recommends: the safe strategy with the least foreign exposure, then the cheapest.
  const safe = (w: string) =>
    strategies.filter(
      (b) =>
        book.value(allIds, w, b, 'oopses') === 0 && book.value(allIds, w, b, 'useAfterFreeAccesses') === 0,
    );
  const pick = (w: string, p: SweepPointResult): string | undefined => {
    const ranked = [...safe(w)].sort(
      (a, b) =>
        book.value(p.id, w, a, 'foreignExposurePageNsPerOp') -
          book.value(p.id, w, b, 'foreignExposurePageNsPerOp') ||
        book.value(p.id, w, a, 'cyclesPerOp') - book.value(p.id, w, b, 'cyclesPerOp'),
    );
    return ranked[0];
  };
  const recs = [clock, ...(xen === undefined ? [] : [xen])].map((w) => {
    const s = pick(w, small) ?? 'none of them';
    const l = pick(w, big) ?? 'none of them';
    return s === l
      ? `${l} for ${w} at every size from ${book.axis(x, Number(small.axes[x]))} to ${book.axis(x, Number(big.axes[x]))} ${x}`
      : `${s} for ${w} on a small host (${host(small)}) but ${l} on a big one (${host(big)})`;
  });
  sentences.push(
    `Ranking the strategies that never oops nor write freed memory by foreign exposure per op, then cycles/op, the model recommends ${list(recs)}.`,
  );
  // The cover letter's VA figures against the model's.
  if (backends.includes('vmap')) {
    const gpcs = Number(big.axes[x]);
    const perGpcKiB = book.value(big.id, clock, 'vmap', 'vaBytesPeak') / gpcs / 1024;
    sentences.push(
      `The cover letter counts “${COVER_LETTER_VA}”; the model's vmap peaks at ${book.metric(big.id, clock, 'vmap', 'vaBytesPeak', { divide: MIB })} MiB for ${book.axis(x, gpcs)} ${clock} gpcs, ${book.metric(big.id, clock, 'vmap', 'vaBytesPeak', { divide: gpcs * 1024 })} KiB per gpc${perGpcKiB === 8 ? ' (the page and its guard page: twice the letter’s count)' : ''}, so the letter’s Xen count would take ${book.metric(big.id, clock, 'vmap', 'vaBytesPeak', { times: XEN_COVER_LETTER_GPCS, divide: gpcs * MIB })} MiB.`,
    );
  }
  const firstParagraph = sentences.join(' ');

  // Charts beside the answer.
  const chartMetrics: [string, SweepMetric][] = [
    [clock, 'cyclesPerOp'],
    [clock, 'ipis'],
    [clock, 'vaBytesPeak'],
    [clock, 'foreignExposurePageNsPerOp'],
    ...(xen === undefined
      ? []
      : ([
          [xen, 'cyclesPerOp'],
          [xen, 'slowPathRate'],
          [xen, 'foreignExposurePageNsPerOp'],
        ] as [string, SweepMetric][])),
    ...(churn === undefined
      ? []
      : ([
          [churn, 'lazyPurges'],
          [churn, 'tlbFlushesGlobal'],
        ] as [string, SweepMetric][])),
  ];
  const charts: AnswerChart[] = sweep.charts.flatMap((c, ci) =>
    chartMetrics.map(([w, m]) => ({
      file: `answer/${ci + 1}-${c.x}-${w}-${m}.svg`,
      chart: chartData(sweep, w, m, c),
    })),
  );

  const calibrationRows = Object.entries(input.calibration.rows)
    .filter(([, row]) => row.cycles > 0)
    .map(([name, row]) => {
      const override = big.config.calibration[name];
      return `| \`${name}\` | ${override ?? row.cycles}${override === undefined ? '' : ' (override)'} | ${row.ref} | ${row.confidence} |`;
    });
  const axes = sweep.axes.map((a) => `\`${a.name}\` ${a.values.map((v) => describeValue(v)).join(', ')}`);
  const chartSections = sweep.charts.map((c, ci) => {
    const fixed = Object.entries(c.fix)
      .filter(([axis]) => axis !== c.x)
      .map(([axis, v]) => `${axis}=${describeValue(v)}`)
      .join(', ');
    const images = charts
      .filter((ch) => ch.file.startsWith(`answer/${ci + 1}-`))
      .map((ch) => `![${ch.chart.title} against ${c.x}](${ch.file})`);
    return [`### Against ${c.x}${fixed === '' ? '' : ` (${fixed})`}`, '', ...images, ''].join('\n');
  });
  const markdown = [
    '<!-- Generated by khva-bench answer from the seed-question sweep; edit the generator, not this file. -->',
    '# What the model answers to the seed series’ question',
    '',
    `Regenerate (charts are written beside it, under \`docs/answer/\`): \`${input.command}\``,
    '',
    firstParagraph,
    '',
    '## The sweep',
    '',
    `${sweep.points.length} points, each every workload on every backend with the same seed: ${axes.join('; ')}. The full data is what \`khva-bench sweep --config ${input.sweepFile}\` writes (\`sweep.json\`, \`sweep.csv\`, \`sweep.md\`, \`sweep.html\`).`,
    '',
    '## Charts',
    '',
    'Lower is better on every chart; log scales where the values span two decades or more.',
    '',
    ...chartSections,
    '## The calibration rows every number rests on',
    '',
    'Modelled cycles per primitive (`packages/memory-core/src/calibration.json`; `ref` is the row of `shared/spec/cost-calibration.md` with its sources). Low-confidence rows are estimates: read the figures above as the model’s consequences of these rows, not as measurements.',
    '',
    '| row | cycles | ref | confidence |',
    '| --- | ---: | --- | --- |',
    ...calibrationRows,
    '',
  ].join('\n');
  return { markdown, firstParagraph, facts: book.facts, charts };
}
