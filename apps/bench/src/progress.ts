// Progress of `khva-bench run` on stderr: a bar on a terminal, one line per finished run on a pipe
// (CI logs), nothing with --quiet. Wall times shown here never reach a report.
import { Presets, SingleBar } from 'cli-progress';
import type { CliIo } from './io.ts';
import type { MatrixProgress } from './run/run-matrix.ts';

/** Resolution of the bar: each run is this many steps, so long runs move smoothly. */
const STEPS_PER_RUN = 1000;

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function silent(): MatrixProgress {
  return { start() {}, update() {}, runDone() {}, stop() {} };
}

function lines(io: CliIo): MatrixProgress {
  let total = 0;
  let startedAt = 0;
  return {
    start(totalRuns) {
      total = totalRuns;
      startedAt = io.now();
    },
    update() {},
    runDone(label, index) {
      const now = io.now();
      io.stderr.write(`[${index + 1}/${total}] ${label} (${seconds(now - startedAt)})\n`);
      startedAt = now;
    },
    stop() {},
  };
}

function bar(stream: NodeJS.WritableStream): MatrixProgress {
  let total = 0;
  const progress = new SingleBar(
    {
      stream,
      format: ' {bar} {percentage}% | run {run}/{runs} {label} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: true,
      barsize: 28,
    },
    Presets.shades_classic,
  );
  return {
    start(totalRuns) {
      total = totalRuns;
      progress.start(Math.max(1, totalRuns) * STEPS_PER_RUN, 0, { run: 0, runs: totalRuns, label: '' });
    },
    update(position, label) {
      const run = Math.min(total, Math.floor(position) + 1);
      progress.update(Math.round(position * STEPS_PER_RUN), { run, runs: total, label });
    },
    runDone() {},
    stop() {
      progress.stop();
    },
  };
}

export function createProgress(io: CliIo, quiet: boolean): MatrixProgress {
  if (quiet) return silent();
  return io.terminal === undefined ? lines(io) : bar(io.terminal);
}
