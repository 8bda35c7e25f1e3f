// `khva-bench sweep`: a sweep file -> its points on a worker pool -> sweep.json, .csv, .md, .html
// (a shard: sweep.json only). A failed point is reported with its point; the others are kept.
import { relative, resolve } from 'node:path';
import { type BenchRegistry, hasModel } from '../bench-registry.ts';
import { backendModuleUrl } from '../config/backend-modules.ts';
import { ConfigError } from '../config/config-error.ts';
import { readConfigDocument, registryWithModules } from '../config/load.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import { createProgress } from '../progress.ts';
import { writeReportFiles } from '../report/write-reports.ts';
import { computeBuildId } from '../sweep/build-id.ts';
import { planSweep, type SweepPlan, shardPoints } from '../sweep/plan.ts';
import { renderSweepFiles } from '../sweep/render-sweep.ts';
import { runPoints } from '../sweep/run-points.ts';
import { buildSweep, failedPoints, type Sweep, sweepHeader } from '../sweep/sweep.ts';

export interface SweepOptions {
  readonly config: string;
  readonly out: string;
  readonly jobs?: number;
  /** 1-based shard index and shard count. */
  readonly shard?: { readonly index: number; readonly count: number };
  readonly quiet: boolean;
  /** Module running one point (tests); default the built worker. */
  readonly workerFile?: URL;
}

/** A planned sweep and the file URLs of its base's `backendModules`, for the workers to import. */
export interface LoadedSweep {
  readonly plan: SweepPlan;
  readonly backendModuleUrls: readonly string[];
}

/**
 * Reads and plans a sweep file; a ConfigError for every problem. The base's `backendModules` (paths
 * relative to the sweep file, or packages) join the registry the points are checked against.
 */
export async function loadSweep(path: string, registry: BenchRegistry, source: string): Promise<LoadedSweep> {
  const doc = await readConfigDocument(path, source);
  const base = typeof doc === 'object' && doc !== null ? (doc as { base?: unknown }).base : undefined;
  const specifiers =
    typeof base === 'object' && base !== null
      ? (base as { backendModules?: unknown }).backendModules
      : undefined;
  const extended = await registryWithModules(specifiers, path, registry, `${source} base`);
  const plan = planSweep(doc, extended, source);
  const urls = Array.isArray(specifiers) ? specifiers.map((s) => backendModuleUrl(String(s), path)) : [];
  return { plan, backendModuleUrls: urls };
}

/** Reads and plans a sweep file; a ConfigError for every problem. */
export async function loadSweepPlan(
  path: string,
  registry: BenchRegistry,
  source: string,
): Promise<SweepPlan> {
  return (await loadSweep(path, registry, source)).plan;
}

/** Runs the sweep (or one shard of it) and returns the Sweep, or an exit code when nothing ran. */
export async function executeSweep(
  options: SweepOptions,
  registry: BenchRegistry,
  io: CliIo,
): Promise<Sweep | number> {
  let plan: SweepPlan;
  let backendModuleUrls: readonly string[];
  try {
    ({ plan, backendModuleUrls } = await loadSweep(
      resolve(io.cwd, options.config),
      registry,
      options.config,
    ));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`khva-bench: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (!hasModel(registry)) {
    io.stderr.write('khva-bench: this build has no workloads or backends wired in; nothing to run\n');
    return EXIT_FAILURE;
  }
  // The build is hashed before anything runs: the code that ran is what the sweep names.
  const build = computeBuildId();
  const shard = options.shard;
  const points = shard === undefined ? plan.points : shardPoints(plan.points, shard.index, shard.count);
  const results = await runPoints(points, {
    ...(options.jobs === undefined ? {} : { jobs: options.jobs }),
    ...(options.workerFile === undefined ? {} : { workerFile: options.workerFile }),
    ...(backendModuleUrls.length === 0 ? {} : { backendModuleUrls }),
    progress: createProgress(io, options.quiet),
  });
  return buildSweep(sweepHeader(plan, build), results, shard);
}

/** Writes the files of a sweep and says what happened; exit 1 when a point failed. */
export async function writeSweep(sweep: Sweep, out: string, io: CliIo, started: number): Promise<number> {
  const outDir = resolve(io.cwd, out);
  const files = await renderSweepFiles(sweep);
  try {
    await writeReportFiles(outDir, files);
  } catch (error) {
    io.stderr.write(
      `khva-bench: cannot write to ${outDir}: ${error instanceof Error ? error.message : error}\n`,
    );
    return EXIT_FAILURE;
  }
  const shown = relative(io.cwd, outDir) || '.';
  const seconds = ((io.now() - started) / 1000).toFixed(1);
  const runs = sweep.points.reduce((n, p) => n + (p.results?.length ?? 0), 0);
  const part = sweep.shard === undefined ? '' : ` (shard ${sweep.shard.index}/${sweep.shard.count})`;
  io.stdout.write(
    `Wrote ${Object.keys(files)
      .map((f) => `${shown}/${f}`)
      .join(
        ', ',
      )}: ${sweep.points.length} of ${sweep.pointCount} points${part}, ${runs} runs in ${seconds} s\n`,
  );
  const failed = failedPoints(sweep);
  for (const p of failed) io.stderr.write(`khva-bench: point ${p.index} (${p.id}) failed: ${p.error}\n`);
  if (failed.length > 0) {
    io.stderr.write(
      `khva-bench: ${failed.length} of ${sweep.points.length} points failed; the others are written\n`,
    );
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

export async function sweepCommand(
  options: SweepOptions,
  registry: BenchRegistry,
  io: CliIo,
): Promise<number> {
  const started = io.now();
  const sweep = await executeSweep(options, registry, io);
  if (typeof sweep === 'number') return sweep;
  return writeSweep(sweep, options.out, io, started);
}
