// The khva-bench command line. `main` takes the registry and the outside world as arguments, so tests run
// it in-process with a fake model; `runCli` is what bin/khva-bench.mjs calls, with the shipped registry.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { BenchRegistry } from './bench-registry.ts';
import { answerCommand } from './commands/answer.ts';
import { exploreCommand } from './commands/explore.ts';
import { type KernelFlag, parseKernelFlag } from './commands/kernel-flag.ts';
import { listCommand } from './commands/list.ts';
import { mergeCommand } from './commands/merge.ts';
import { runCommand } from './commands/run.ts';
import { scenarioCommand } from './commands/scenario.ts';
import { sweepCommand } from './commands/sweep.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit-codes.ts';
import { InputError } from './input/input-error.ts';
import { type CliIo, processIo } from './io.ts';
import { defaultRegistry } from './registry.ts';

function packageVersion(): string {
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed
    ? String(parsed.version)
    : '0.0.0';
}

function parseSeed(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 2 ** 32 - 1) {
    throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  }
  return Number(value);
}

function parseNames(value: string): string[] {
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new InvalidArgumentError('expected comma-separated names');
  return names;
}

function parseJobs(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1024) {
    throw new InvalidArgumentError('expected a whole number of worker threads from 1 to 1024');
  }
  return Number(value);
}

function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count) {
    throw new InvalidArgumentError('expected i/n with 1 <= i <= n, e.g. 2/4 (the second of four shards)');
  }
  return { index, count };
}

interface RunFlags {
  config?: string;
  out: string;
  seed?: number;
  backends?: string[];
  workloads?: string[];
  quiet?: boolean;
}

function buildProgram(registry: BenchRegistry, io: CliIo, setExitCode: (code: number) => void): Command {
  const program = new Command('khva-bench')
    .description('Compare how kernel mapping strategies give KVM a kernel address for guest memory')
    .version(packageVersion())
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(khva-bench --help for usage)');

  program
    .command('run')
    .description('run every selected workload on every selected backend and write the reports')
    .option('--config <file>', 'config file, JSON or YAML (default: the shipped configs/default.yaml)')
    .option('--out <dir>', 'output directory for report.json, report.md, report.html', 'khva-report')
    .addOption(new Option('--seed <n>', 'override the config seed').argParser(parseSeed))
    .addOption(
      new Option('--backends <names>', 'comma-separated backends, replacing the config').argParser(
        parseNames,
      ),
    )
    .addOption(
      new Option(
        '--workloads <names>',
        'comma-separated workloads to run (config params or defaults)',
      ).argParser(parseNames),
    )
    .option('--quiet', 'no progress output on stderr')
    .action(async (flags: RunFlags) => {
      setExitCode(
        await runCommand(
          {
            out: flags.out,
            quiet: flags.quiet === true,
            ...(flags.config === undefined ? {} : { config: flags.config }),
            ...(flags.seed === undefined ? {} : { seed: flags.seed }),
            ...(flags.backends === undefined ? {} : { backends: flags.backends }),
            ...(flags.workloads === undefined ? {} : { workloads: flags.workloads }),
          },
          registry,
          io,
        ),
      );
    });

  program
    .command('scenario')
    .description('run a scenario file and print its trace as JSON lines; exit 1 at the first failed expect')
    .argument('<file>', 'scenario file (YAML or JSON)')
    .option('--backend <name>', "override the scenario's backend")
    .option('--config <file>', 'config file whose backendModules add backends')
    .option('--html <file>', 'also write the run as a timeline page (one self-contained HTML file)')
    .action(async (file: string, flags: { backend?: string; config?: string; html?: string }) => {
      setExitCode(
        await scenarioCommand(
          file,
          {
            ...(flags.backend === undefined ? {} : { backend: flags.backend }),
            ...(flags.config === undefined ? {} : { config: flags.config }),
            ...(flags.html === undefined ? {} : { html: flags.html }),
          },
          registry,
          io,
        ),
      );
    });

  program
    .command('explore')
    .description(
      "explore every interleaving of a scenario's threads, check the invariants after each step; exit 1 with the shortest counterexample",
    )
    .argument('<file>', 'scenario file (YAML or JSON)')
    .option('--backend <name>', "override the scenario's backend")
    .option('--max-schedules <n>', 'schedule budget (default 20000)', (v: string) => Number(v))
    .option('--no-reduction', 'explore every interleaving, without partial-order reduction')
    .option('--out <dir>', 'where to write the counterexample (default: next to the scenario)')
    .option(
      '--kernel <switches>',
      "kernel switches over the scenario's kernel block, e.g. series=rfc-v1,samePfnRemap=on",
    )
    .option('--config <file>', 'config file whose backendModules add backends')
    .option('--html <file>', "also write the shortest counterexample's timeline page")
    .action(
      async (
        file: string,
        flags: {
          backend?: string;
          maxSchedules?: number;
          reduction?: boolean;
          out?: string;
          kernel?: string;
          config?: string;
          html?: string;
        },
      ) => {
        let kernel: KernelFlag | undefined;
        try {
          kernel = flags.kernel === undefined ? undefined : parseKernelFlag(flags.kernel);
        } catch (error) {
          io.stderr.write(`khva-bench: ${error instanceof Error ? error.message : error}\n`);
          setExitCode(EXIT_USAGE);
          return;
        }
        setExitCode(
          await exploreCommand(
            file,
            {
              ...(kernel !== undefined ? { kernel } : {}),
              ...(flags.backend !== undefined ? { backend: flags.backend } : {}),
              ...(flags.maxSchedules !== undefined ? { maxSchedules: flags.maxSchedules } : {}),
              ...(flags.reduction === false ? { reduction: false } : {}),
              ...(flags.out !== undefined ? { outDir: flags.out } : {}),
              ...(flags.config !== undefined ? { config: flags.config } : {}),
              ...(flags.html !== undefined ? { html: flags.html } : {}),
            },
            registry,
            io,
          ),
        );
      },
    );

  program
    .command('sweep')
    .description('run every point of a sweep file on a worker pool and write sweep.json, .csv, .md, .html')
    .requiredOption('--config <file>', 'sweep file, YAML or JSON (a base config plus axes or points)')
    .option('--out <dir>', 'output directory', 'khva-sweep')
    .addOption(new Option('--jobs <n>', 'worker threads (default: every core)').argParser(parseJobs))
    .addOption(
      new Option('--shard <i/n>', 'run only shard i of n (writes sweep.json for `merge`)').argParser(
        parseShard,
      ),
    )
    .option('--quiet', 'no progress output on stderr')
    .action(
      async (flags: {
        config: string;
        out: string;
        jobs?: number;
        shard?: { index: number; count: number };
        quiet?: boolean;
      }) => {
        setExitCode(
          await sweepCommand(
            {
              config: flags.config,
              out: flags.out,
              quiet: flags.quiet === true,
              ...(flags.jobs === undefined ? {} : { jobs: flags.jobs }),
              ...(flags.shard === undefined ? {} : { shard: flags.shard }),
            },
            registry,
            io,
          ),
        );
      },
    );

  program
    .command('answer')
    .description('run the seed-question sweep (or read one) and write answer.md with its charts')
    .requiredOption('--config <file>', 'the sweep file (apps/bench/configs/seed-question.yaml)')
    .option('--out <dir>', 'where answer.md and answer/*.svg go', 'docs')
    .addOption(new Option('--jobs <n>', 'worker threads (default: every core)').argParser(parseJobs))
    .option('--sweep <dir>', 'read the finished sweep.json in this directory instead of running the sweep')
    .option('--quiet', 'no progress output on stderr')
    .action(
      async (flags: { config: string; out: string; jobs?: number; sweep?: string; quiet?: boolean }) => {
        setExitCode(
          await answerCommand(
            {
              config: flags.config,
              out: flags.out,
              quiet: flags.quiet === true,
              ...(flags.jobs === undefined ? {} : { jobs: flags.jobs }),
              ...(flags.sweep === undefined ? {} : { sweep: flags.sweep }),
            },
            registry,
            io,
          ),
        );
      },
    );

  program
    .command('merge')
    .description(
      "join the shards' sweep.json into one sweep (refuses other configs, builds, gaps, duplicates)",
    )
    .argument('<dirs...>', "each shard's output directory")
    .option('--out <dir>', 'output directory', 'khva-sweep')
    .action(async (dirs: string[], flags: { out: string }) => {
      setExitCode(await mergeCommand(dirs, flags.out, io));
    });

  program
    .command('list')
    .description('list the backends and workloads of this build, one per line')
    .option('--config <file>', 'config file whose backendModules add backends')
    .action(async (flags: { config?: string }) => {
      setExitCode(await listCommand(registry, io, flags.config));
    });

  return program;
}

/**
 * Runs khva-bench with `argv` (the arguments after the program name) and returns the exit code:
 * 0 ok, 1 run or scenario failure, 2 usage or config error.
 */
export async function main(argv: readonly string[], registry: BenchRegistry, io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(registry, io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    // The one error boundary: bad input that a command did not catch is still a usage error, one line.
    if (error instanceof InputError) {
      io.stderr.write(`khva-bench: ${error.message}\n`);
      return EXIT_USAGE;
    }
    // Anything else is a bug in khva-bench: say so in one line; the stack only on request.
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.stderr.write(
      `khva-bench: internal error (a bug in khva-bench; rerun with KHVA_BENCH_DEBUG=1 for the stack): ${text.split('\n')[0]}\n`,
    );
    if (process.env.KHVA_BENCH_DEBUG && error instanceof Error && error.stack)
      io.stderr.write(`${error.stack}\n`);
    return EXIT_FAILURE;
  }
  return exitCode;
}

/** The bin's entry point: the shipped registry and the real process. */
export function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  return main(argv, defaultRegistry, processIo());
}
