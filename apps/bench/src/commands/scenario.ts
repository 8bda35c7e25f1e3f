// `khva-bench scenario FILE [--backend NAME] [--html OUT.html]`: runs a scenario through the model's runner,
// prints its trace as JSON lines (and writes its timeline page), and fails (exit 1) at the first step whose outcome differs from its `expect`.
import type { BenchRegistry } from '../bench-registry.ts';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import type { ScenarioFailure, ScenarioOutcome } from '../scenario.ts';
import { registryForConfig } from './config-backends.ts';
import { checkScenarioArgs, scenarioRefusal, writeTimelinePage } from './scenario-file.ts';

export interface ScenarioCommandOptions {
  readonly backend?: string;
  /** A config file whose `backendModules` add backends. */
  readonly config?: string;
  /** Also write the run's timeline page here. */
  readonly html?: string;
}

function describeFailure(file: string, failure: ScenarioFailure | undefined): string {
  if (failure === undefined) return `scenario ${file} failed (the runner gave no reason)`;
  return `scenario ${file} failed: ${failure.message}`;
}

export async function scenarioCommand(
  file: string,
  options: ScenarioCommandOptions,
  registry: BenchRegistry,
  io: CliIo,
): Promise<number> {
  const runner = registry.runScenarioFile;
  if (runner === undefined) {
    io.stderr.write('khva-bench: this build has no scenario runner wired in (apps/bench/src/registry.ts)\n');
    return EXIT_FAILURE;
  }
  const withModules = await registryForConfig(options.config, registry, io);
  if (withModules === null) return EXIT_USAGE;
  const input = await checkScenarioArgs(file, options.backend, withModules, io);
  if (input === null) return EXIT_USAGE;
  let outcome: ScenarioOutcome;
  try {
    outcome = await runner(input.path, {
      backends: withModules.backends,
      document: input.document,
      ...(options.backend === undefined ? {} : { backend: options.backend }),
      ...(options.html === undefined ? {} : { html: true }),
    });
  } catch (error) {
    io.stderr.write(`khva-bench: ${scenarioRefusal(file, error)}\n`);
    return EXIT_USAGE;
  }
  for (const step of outcome.trace) io.stdout.write(`${JSON.stringify(step)}\n`);
  if (options.html !== undefined) {
    if (!(await writeTimelinePage(options.html, outcome.html, io))) return EXIT_FAILURE;
    io.stderr.write(`timeline: ${options.html}\n`);
  }
  if (!outcome.ok) {
    io.stderr.write(`khva-bench: ${describeFailure(file, outcome.failure)}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}
