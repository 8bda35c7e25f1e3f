import { cpus } from 'node:os';
import { Bench, type Task } from 'tinybench';

/** Operations per task call: one tinybench sample times a whole batch (>= ~10 µs). */
export const BATCH = 1024;

/** One benchmark task: `batch(n)` runs n simulated operations and returns a number for the sink. */
export interface BenchTask {
  readonly name: string;
  /** Run n operations; the result feeds a module-level sink so V8 cannot drop the work. */
  readonly batch: (n: number) => number;
  /** Bring the state the operations expect (runs before warmup and before the timed run). */
  readonly setup?: () => void;
  /** Throw if an operation does not do what the task's name says (checked once, before timing). */
  readonly validate?: () => void;
}

/** A suite: tasks compared against a baseline measured in the same process. */
export interface SuiteDefinition {
  readonly name: string;
  readonly baseline: BenchTask;
  readonly tasks: readonly BenchTask[];
}

export interface TaskFigures {
  readonly task: string;
  readonly baseline: boolean;
  /** Mean ns per operation (sample latency / BATCH). */
  readonly nsPerOp: number;
  readonly p50NsPerOp: number;
  readonly p99NsPerOp: number;
  /** nsPerOp / the baseline's nsPerOp. */
  readonly ratio: number;
  /** p50NsPerOp / the baseline's p50NsPerOp: the ratio to read on a loaded host (preemptions skew means). */
  readonly p50Ratio: number;
  /** tinybench's relative margin of error of the mean, in percent (this process only). */
  readonly rmePct: number;
  readonly samples: number;
  /** The median sample is under 100x the hrtime grain: do not trust this row. */
  readonly lowResolution: boolean;
}

export interface SuiteReport {
  readonly suite: string;
  readonly env: { node: string; platform: string; cpus: number; cpuModel: string; timerGrainNs: number };
  readonly options: BenchSettings & { batch: number; timestampProvider: 'hrtimeNow' };
  readonly results: TaskFigures[];
  readonly warnings: string[];
}

export interface BenchSettings {
  /** Time budget per task in ms (BENCH_TIME, default 1000). */
  readonly time: number;
  /** Warmup budget per task in ms (BENCH_WARMUP_TIME, default 250). */
  readonly warmupTime: number;
  readonly iterations: number;
  readonly warmupIterations: number;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const num = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`${name} must be a number >= 0, got ${raw}`);
    return v;
  };
  return {
    time: num('BENCH_TIME', 1000),
    warmupTime: num('BENCH_WARMUP_TIME', 250),
    iterations: num('BENCH_ITERATIONS', 64),
    warmupIterations: num('BENCH_WARMUP_ITERATIONS', 16),
  };
}

let sink = 0;

/** What the sink holds (read after a run, so the accumulated results stay live). */
export function sinkValue(): number {
  return sink;
}

/**
 * Validate every task, then time the baseline and the tasks in one process with tinybench
 * (hrtime, BATCH operations per sample, throws on any error) and report ns/op and the ratio to
 * the baseline.
 */
export async function runSuite(
  name: string,
  tasks: readonly BenchTask[],
  baseline: BenchTask,
  settings: BenchSettings = settingsFromEnv(),
): Promise<SuiteReport> {
  const all = [baseline, ...tasks];
  const names = new Set<string>();
  for (const t of all) {
    if (names.has(t.name)) throw new Error(`suite ${name}: duplicate task name ${t.name}`);
    names.add(t.name);
    t.setup?.();
    t.validate?.();
  }
  const bench = new Bench({
    name,
    ...settings,
    timestampProvider: 'hrtimeNow',
    throws: true,
  });
  const warnings: string[] = [];
  bench.addEventListener('warning', (e) => {
    warnings.push(`${e.task?.name ?? '?'}: timer saturation (${e.reason ?? 'unknown'})`);
  });
  for (const t of all) {
    const batch = t.batch;
    const setup = t.setup;
    bench.add(
      t.name,
      () => {
        sink += batch(BATCH);
      },
      setup ? { beforeAll: setup } : {},
    );
  }
  await bench.run();
  if (!Number.isFinite(sink)) throw new Error(`suite ${name}: sink is ${sink}`);

  const grain = timerGrainMs();
  const figures = bench.tasks.map((task) => perOp(name, task, grain));
  const base = figures[0]!;
  const results = figures.map((f, i) => ({
    ...f,
    baseline: i === 0,
    ratio: f.nsPerOp / base.nsPerOp,
    p50Ratio: f.p50NsPerOp / base.p50NsPerOp,
  }));
  for (const r of results) {
    if (r.lowResolution) warnings.push(`${r.task}: median sample under 100x the timer grain`);
  }
  const cpuList = cpus();
  return {
    suite: name,
    env: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
      timerGrainNs: grain * 1e6,
    },
    options: { ...settings, batch: BATCH, timestampProvider: 'hrtimeNow' },
    results,
    warnings,
  };
}

/**
 * The hrtime clock's grain in ms: the smallest positive step between two readings. (tinybench's
 * `detectedResolution` is the smallest repeated sample, which for batched samples is the batch
 * time itself, so it cannot tell a timer-bound sample from a long one.)
 */
function timerGrainMs(): number {
  let grain = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 1000; i++) {
    const a = process.hrtime.bigint();
    let b = process.hrtime.bigint();
    while (b === a) b = process.hrtime.bigint();
    grain = Math.min(grain, Number(b - a) / 1e6);
  }
  return grain;
}

function perOp(
  suite: string,
  task: Task,
  grainMs: number,
): Omit<TaskFigures, 'ratio' | 'p50Ratio' | 'baseline'> {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`suite ${suite}: task ${task.name} ended ${r.state}`);
  const ms = 1e6 / BATCH; // ms per sample -> ns per operation
  return {
    task: task.name,
    nsPerOp: r.latency.mean * ms,
    p50NsPerOp: (r.latency.p50 ?? r.latency.mean) * ms,
    p99NsPerOp: (r.latency.p99 ?? r.latency.max) * ms,
    rmePct: r.latency.rme,
    samples: r.latency.samplesCount,
    lowResolution: (r.latency.p50 ?? r.latency.mean) < 100 * grainMs,
  };
}

/** The suite as a plain-text table: task, ns/op and p50 with their ratios to the baseline, rme, p99, samples. */
export function formatReport(report: SuiteReport): string {
  const head = ['task', 'ns/op', 'x baseline', 'p50 ns/op', 'x base p50', 'rme', 'p99 ns/op', 'samples'];
  const rows = report.results.map((r) => [
    r.baseline ? `${r.task} (baseline)` : r.task,
    r.nsPerOp.toFixed(1),
    r.ratio.toFixed(2),
    r.p50NsPerOp.toFixed(1),
    r.p50Ratio.toFixed(2),
    `±${r.rmePct.toFixed(2)}%`,
    r.p99NsPerOp.toFixed(1),
    String(r.samples),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const o = report.options;
  const e = report.env;
  return [
    `${report.suite}: ${o.batch} ops per sample, ${o.timestampProvider}, time ${o.time} ms/task, ` +
      `${e.node} ${e.platform}, ${e.cpus} x ${e.cpuModel}, timer grain ${e.timerGrainNs.toFixed(0)} ns`,
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...report.warnings.map((w) => `warning: ${w}`),
  ].join('\n');
}

/**
 * The common baseline: a plain Map lookup of a page by its virtual page number and an 8-byte
 * DataView write into it, keyed like the model's TLB (vmalloc page numbers, beyond 2^31).
 */
export function mapDataViewBaseline(): BenchTask {
  const pages = new Map<number, DataView>();
  const keys = new Float64Array(64);
  const firstVpn = 0xc900_0000_0000 / 4096;
  for (let k = 0; k < keys.length; k++) {
    keys[k] = firstVpn + k;
    pages.set(firstVpn + k, new DataView(new ArrayBuffer(4096)));
  }
  const batch = (n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const dv = pages.get(keys[i & 63]!);
      if (dv === undefined) throw new Error('baseline: missing page');
      dv.setFloat64((i & 511) << 3, i, true);
      s++;
    }
    return s;
  };
  return {
    name: 'Map.get + DataView 8-byte write',
    batch,
    validate() {
      batch(2);
      if (pages.get(firstVpn + 1)?.getFloat64(8, true) !== 1) throw new Error('baseline: write did not land');
    },
  };
}
