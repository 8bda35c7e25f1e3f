// `khva-bench answer`: runs the seed-question sweep (or reads a finished one with --sweep) and writes
// answer.md with its charts (answer/*.svg) into --out, the answer's numbers all read from the sweep.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { defaultCalibration } from '@khva/memory-core';
import { buildAnswer } from '../answer/answer.ts';
import type { BenchRegistry } from '../bench-registry.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { InputError } from '../input/input-error.ts';
import type { CliIo } from '../io.ts';
import { renderLineChart } from '../sweep/line-chart.ts';
import { loadSweepResult } from '../sweep/read-sweep-result.ts';
import { failedPoints, type Sweep } from '../sweep/sweep.ts';
import { executeSweep } from './sweep.ts';

export interface AnswerOptions {
  readonly config: string;
  readonly out: string;
  readonly jobs?: number;
  /** A directory holding a finished sweep.json of that config (skips running it). */
  readonly sweep?: string;
  readonly quiet: boolean;
}

export async function answerCommand(
  options: AnswerOptions,
  registry: BenchRegistry,
  io: CliIo,
): Promise<number> {
  let sweep: Sweep;
  if (options.sweep !== undefined) {
    try {
      sweep = await loadSweepResult(io.cwd, options.sweep);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      io.stderr.write(`khva-bench: ${error.message}\n`);
      return EXIT_USAGE;
    }
  } else {
    const ran = await executeSweep(
      {
        config: options.config,
        out: options.out,
        quiet: options.quiet,
        ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
      },
      registry,
      io,
    );
    if (typeof ran === 'number') return ran;
    sweep = ran;
  }
  const failed = failedPoints(sweep);
  if (failed.length > 0) {
    for (const p of failed) io.stderr.write(`khva-bench: point ${p.index} (${p.id}) failed: ${p.error}\n`);
    io.stderr.write('khva-bench: the answer needs every point; nothing written\n');
    return EXIT_FAILURE;
  }
  const outDir = resolve(io.cwd, options.out);
  const answer = buildAnswer({
    sweep,
    command: `node apps/bench/bin/khva-bench.mjs answer --config ${options.config} --out ${options.out}`,
    sweepFile: options.config,
    calibration: defaultCalibration,
  });
  const files: [string, string][] = [['answer.md', answer.markdown]];
  for (const { file, chart } of answer.charts) files.push([file, await renderLineChart(chart)]);
  for (const [name, text] of files) {
    const path = join(outDir, name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, 'utf8');
  }
  io.stdout.write(
    `Wrote ${relative(io.cwd, join(outDir, 'answer.md')) || 'answer.md'} and ${answer.charts.length} charts (${answer.facts.length} numbers, all from the sweep)\n`,
  );
  return EXIT_OK;
}
