// `khva-bench explore FILE [--backend NAME] [--max-schedules N] [--no-reduction] [--out DIR] [--html OUT.html]`:
// runs the scenario's threads under every interleaving (within the budget), checks the gpc's
// invariants after every step, and writes the shortest counterexample as a replayable scenario.
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ExploreFileResult } from '@khva/explorer/file';
import type { BenchRegistry } from '../bench-registry.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import type { ExploreOptions } from '../explore.ts';
import type { CliIo } from '../io.ts';
import { registryForConfig } from './config-backends.ts';
import { checkScenarioArgs, scenarioRefusal, writeTimelinePage } from './scenario-file.ts';

export type ExploreCommandOptions = Omit<ExploreOptions, 'html'> & {
  /** A config file whose `backendModules` add backends. */
  readonly config?: string;
  /** Also write the shortest counterexample's timeline page here. */
  readonly html?: string;
};

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
  try {
    summary = explorer(input.path, {
      ...options,
      backends: withModules.backends,
      document: input.document,
      ...(options.outDir !== undefined ? { outDir: resolve(io.cwd, options.outDir) } : {}),
      ...(html !== undefined ? { html: true } : {}),
    });
  } catch (error) {
    io.stderr.write(`khva-bench: ${scenarioRefusal(file, error)}\n`);
    return EXIT_USAGE;
  }
  const scope = summary.exhaustive ? 'all schedules' : 'schedule budget exhausted';
  io.stdout.write(
    `${file} on ${summary.backend}: ${summary.explored} schedules explored, ${summary.pruned} pruned, ${Math.round(summary.wallMs)} ms (${scope})\n`,
  );
  const cx = summary.counterexample;
  if (cx === undefined) {
    io.stdout.write('no invariant broken\n');
    return EXIT_OK;
  }
  io.stdout.write(
    `counterexample: ${cx.violations.join(', ')} after ${cx.schedulerSteps} scheduler steps (${cx.scenarioSteps} scenario steps)\n`,
  );
  io.stdout.write(cx.trace.endsWith('\n') ? cx.trace : `${cx.trace}\n`);
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
