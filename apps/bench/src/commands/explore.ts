// `khva-bench explore FILE [--backend NAME] [--max-schedules N] [--no-reduction] [--out DIR] [--html OUT.html]`:
// runs the scenario's threads under every interleaving (within the budget), checks the gpc's
// invariants after every step, and writes the shortest counterexample as a replayable scenario.
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ExploreProgress } from '@khva/explorer';
import type { ExploreFileResult } from '@khva/explorer/file';
import type { BenchRegistry } from '../bench-registry.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import type { ExploreOptions } from '../explore.ts';
import { type CliIo, interruptedExitCode } from '../io.ts';
import { PROGRESS_LINE_INTERVAL_MS } from '../progress.ts';
import { registryForConfig } from './config-backends.ts';
import { checkScenarioArgs, scenarioRefusal, writeTimelinePage } from './scenario-file.ts';

/** The first progress line of a long search. */
const FIRST_PROGRESS_LINE_MS = 1000;

export type ExploreCommandOptions = Omit<ExploreOptions, 'html'> & {
  /** A config file whose `backendModules` add backends. */
  readonly config?: string;
  /** Also write the shortest counterexample's timeline page here. */
  readonly html?: string;
};

/** A long search says it is alive: a line after a second, then every few seconds (real wall time). */
function progressLines(io: CliIo): (progress: ExploreProgress) => void {
  // performance.now(), not io.now(): in-process tests fake io's clock, and their short searches stay silent.
  const started = performance.now();
  let next = started + FIRST_PROGRESS_LINE_MS;
  return ({ explored, violating }) => {
    const now = performance.now();
    if (now < next) return;
    next = now + PROGRESS_LINE_INTERVAL_MS;
    io.stderr.write(
      `khva-bench: exploring: ${explored} schedules explored, ${violating} violating so far (${((now - started) / 1000).toFixed(1)} s; Ctrl-C stops)\n`,
    );
  };
}

export async function exploreCommand(
  file: string,
  { config, html, ...options }: ExploreCommandOptions,
  registry: BenchRegistry,
  io: CliIo,
): Promise<number> {
  const explorer = registry.exploreFile;
  if (explorer === undefined) {
    io.stderr.write('khva-bench: this build has no explorer wired in (apps/bench/src/registry.ts)\n');
    return EXIT_FAILURE;
  }
  if (
    options.maxSchedules !== undefined &&
    !(Number.isInteger(options.maxSchedules) && options.maxSchedules > 0)
  ) {
    io.stderr.write('khva-bench: --max-schedules: must be a positive integer\n');
    return EXIT_USAGE;
  }
  if (options.outDir !== undefined) {
    const outDir = resolve(io.cwd, options.outDir);
    const problem =
      options.outDir.trim() === ''
        ? 'must name a directory (got an empty string)'
        : await lstat(outDir).then(
            (s) => (s.isDirectory() || s.isSymbolicLink() ? null : `${outDir} is not a directory`),
            () => null,
          );
    if (problem !== null) {
      io.stderr.write(`khva-bench: --out: ${problem}\n`);
      return EXIT_USAGE;
    }
  }
  const withModules = await registryForConfig(config, registry, io);
  if (withModules === null) return EXIT_USAGE;
  const input = await checkScenarioArgs(file, options.backend, withModules, io);
  if (input === null) return EXIT_USAGE;
  let summary: ExploreFileResult & { readonly html?: string };
  // SIGINT/SIGTERM stop the search between two schedules (the explorer yields to the event loop to see it).
  const watch = io.watchInterrupts?.();
  try {
    summary = await explorer(input.path, {
      ...options,
      backends: withModules.backends,
      document: input.document,
      ...(options.outDir !== undefined ? { outDir: resolve(io.cwd, options.outDir) } : {}),
      ...(html !== undefined ? { html: true } : {}),
      // Only where Ctrl-C can stop it (the real process, not an in-process caller): say so while it runs.
      ...(watch === undefined ? {} : { shouldStop: () => watch.signal.aborted, onSlice: progressLines(io) }),
    });
  } catch (error) {
    io.stderr.write(`khva-bench: ${scenarioRefusal(file, error)}\n`);
    return EXIT_USAGE;
  } finally {
    watch?.stop();
  }
  const scope = summary.stopped
    ? 'interrupted'
    : summary.exhaustive
      ? 'all schedules'
      : 'schedule budget exhausted';
  io.stdout.write(
    `${file} on ${summary.backend}: ${summary.explored} schedules explored, ${summary.pruned} pruned, ${Math.round(summary.wallMs)} ms (${scope})\n`,
  );
  const cx = summary.counterexample;
  if (cx !== undefined) {
    io.stdout.write(
      `counterexample: ${cx.violations.join(', ')} after ${cx.schedulerSteps} scheduler steps (${cx.scenarioSteps} scenario steps)\n`,
    );
    io.stdout.write(cx.trace.endsWith('\n') ? cx.trace : `${cx.trace}\n`);
  }
  if (summary.stopped) {
    const found =
      cx === undefined
        ? 'no invariant broken so far'
        : `${summary.violating} violating schedule(s) so far, the shortest printed above`;
    io.stderr.write(
      `khva-bench: interrupted (${String(watch?.signal.reason ?? 'stopped')}) after ${summary.explored} schedules explored: ${found}; nothing written\n`,
    );
    return interruptedExitCode(watch?.signal.reason);
  }
  if (cx === undefined) {
    io.stdout.write('no invariant broken\n');
    return EXIT_OK;
  }
  if (cx.writeError !== undefined) {
    // The finding stands even if it cannot be saved: it is printed above, and the exit says so.
    io.stderr.write(`khva-bench: could not write the counterexample to ${cx.path}: ${cx.writeError}\n`);
    return EXIT_FAILURE;
  }
  io.stdout.write(`replay: khva-bench scenario ${cx.path}\ntrace: ${cx.tracePath}\n`);
  if (html !== undefined) {
    if (!(await writeTimelinePage(html, summary.html, io))) return EXIT_FAILURE;
    io.stdout.write(`timeline: ${html}\n`);
  }
  return EXIT_FAILURE;
}
