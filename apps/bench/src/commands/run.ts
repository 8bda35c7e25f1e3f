// `khva-bench run`: config -> every workload on every backend -> report.json, report.md, report.html
// (written all or nothing) and a table on the terminal.
import { relative, resolve } from 'node:path';
import { type BenchRegistry, hasModel } from '../bench-registry.ts';
import { ConfigError, formatIssue } from '../config/config-error.ts';
import { DEFAULT_CONFIG_PATH } from '../config/default-config.ts';
import { loadConfigWithBackends } from '../config/load.ts';
import { type ConfigOverrides, checkOverrideNames } from '../config/overrides.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import { type CliIo, interruptedExitCode } from '../io.ts';
import { createProgress } from '../progress.ts';
import { REPORT_FILE_NAMES, renderReports } from '../report/render-reports.ts';
import { buildReport } from '../report/report.ts';
import { renderTerminalTable } from '../report/terminal.ts';
import { reportTargetProblem, writeReportFiles } from '../report/write-reports.ts';
import { RunError } from '../run/run-error.ts';
import { runMatrix } from '../run/run-matrix.ts';

export interface RunOptions extends ConfigOverrides {
  /** Config file; the shipped configs/default.yaml when absent. */
  readonly config?: string;
  /** Output directory (created if missing). */
  readonly out: string;
  /** No progress output on stderr. */
  readonly quiet: boolean;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runCommand(options: RunOptions, registry: BenchRegistry, io: CliIo): Promise<number> {
  // The command line first: a wrong flag is named as the flag, before any file is read.
  if (options.out.trim() === '') {
    io.stderr.write('khva-bench: --out: must name a directory (got an empty string)\n');
    return EXIT_USAGE;
  }
  const configPath = options.config === undefined ? DEFAULT_CONFIG_PATH : resolve(io.cwd, options.config);
  const outDir = resolve(io.cwd, options.out);
  const overrides: ConfigOverrides = {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.backends === undefined ? {} : { backends: options.backends }),
    ...(options.workloads === undefined ? {} : { workloads: options.workloads }),
  };
  // --backends may name a backend of the config's backendModules: that flag is checked with the config.
  const { backends: _backendsFlag, ...builtinChecked } = overrides;
  const flagIssues = checkOverrideNames(builtinChecked, registry);
  if (flagIssues.length > 0) {
    for (const issue of flagIssues) io.stderr.write(`khva-bench: ${formatIssue(issue)}\n`);
    return EXIT_USAGE;
  }
  const outProblem = await reportTargetProblem(outDir, REPORT_FILE_NAMES);
  if (outProblem !== null) {
    io.stderr.write(`khva-bench: --out: ${outProblem}\n`);
    return EXIT_USAGE;
  }

  let config: Awaited<ReturnType<typeof loadConfigWithBackends>>['config'];
  try {
    // The config's backendModules join the registry this run uses.
    ({ config, registry } = await loadConfigWithBackends(
      configPath,
      registry,
      overrides,
      options.config ?? configPath,
    ));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // A wrong flag is the flag's fault, not the file's (and its echo under `backends` adds nothing).
    const flagIssues = error.issues.filter((issue) => issue.path.startsWith('--'));
    for (const issue of flagIssues) io.stderr.write(`khva-bench: ${formatIssue(issue)}\n`);
    if (flagIssues.length === 0) io.stderr.write(`khva-bench: ${error.message}\n`);
    return EXIT_USAGE;
  }
  if (!hasModel(registry)) {
    io.stderr.write(
      'khva-bench: this build has no workloads or backends wired in (apps/bench/src/registry.ts); nothing to run\n',
    );
    return EXIT_FAILURE;
  }

  const started = io.now();
  let runs: Awaited<ReturnType<typeof runMatrix>>;
  try {
    runs = await runMatrix(config, registry, createProgress(io, options.quiet));
  } catch (error) {
    if (!(error instanceof RunError)) throw error;
    io.stderr.write(`khva-bench: run failed, no report written: ${error.message}\n`);
    return EXIT_FAILURE;
  }
  const report = buildReport(config, runs);
  const watch = io.watchInterrupts?.();
  try {
    await writeReportFiles(outDir, renderReports(report), {
      ...(watch === undefined ? {} : { signal: watch.signal }),
      ...(io.beforeReportSwitch === undefined || watch === undefined
        ? {}
        : { beforeSwitch: () => io.beforeReportSwitch?.(watch.signal) ?? Promise.resolve() }),
    });
  } catch (error) {
    if (watch?.signal.aborted) {
      io.stderr.write(
        `khva-bench: interrupted (${String(watch.signal.reason)}) before the report was switched; the previous report in ${outDir} is intact\n`,
      );
      return interruptedExitCode(watch.signal.reason);
    }
    io.stderr.write(
      `khva-bench: cannot write the report to ${outDir} (the previous report is intact): ${message(error)}\n`,
    );
    return EXIT_FAILURE;
  } finally {
    watch?.stop();
  }
  const seconds = ((io.now() - started) / 1000).toFixed(1);
  const shown = relative(io.cwd, outDir) || '.';
  io.stdout.write(renderTerminalTable(report));
  io.stdout.write(
    `\nWrote ${shown}/report.json, report.md, report.html (${runs.length} runs in ${seconds} s)\n`,
  );
  return EXIT_OK;
}
