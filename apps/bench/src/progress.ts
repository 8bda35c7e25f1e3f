// Progress of `khva-bench run` on stderr: a bar on a terminal; on a pipe (CI logs) one line per finished
// run and, during a long run, one every few seconds; nothing with --quiet. Wall times shown here never reach a report.
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

/** On a pipe, a line at least this often while a run is going (CI logs show the job is alive). */
export const PROGRESS_LINE_INTERVAL_MS = 5000;

function lines(io: CliIo): MatrixProgress {
  let total = 0;
  let startedAt = 0;
  let lastLine = 0;
  return {
    start(totalRuns) {
      total = totalRuns;
      startedAt = io.now();
      lastLine = startedAt;
    },
    update(position, label) {
      const index = Math.floor(position);
      const fraction = position - index;
      // Only inside a run: the run's own line follows at its end.
      if (fraction <= 0) return;
      const now = io.now();
      if (now - lastLine < PROGRESS_LINE_INTERVAL_MS) return;
      lastLine = now;
      io.stderr.write(
        `[${index + 1}/${total}] ${label}: ${Math.floor(fraction * 100)}% (${seconds(now - startedAt)})\n`,
      );
    },
    runDone(label, index) {
      const now = io.now();
      io.stderr.write(`[${index + 1}/${total}] ${label} (${seconds(now - startedAt)})\n`);
      startedAt = now;
      lastLine = now;
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
