// `khva-bench list`: one line per backend and per workload, `kind  name  summary`, easy to grep or awk.
import type { BenchRegistry } from '../bench-registry.ts';
import { EXIT_OK, EXIT_USAGE } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import { registryForConfig } from './config-backends.ts';

/** Lists the build's backends and workloads, with those of `config`'s `backendModules` when given. */
export async function listCommand(given: BenchRegistry, io: CliIo, config?: string): Promise<number> {
  const registry = await registryForConfig(config, given, io);
  if (registry === null) return EXIT_USAGE;
  const rows = [
    ...registry.backends
      .names()
      .map((name) => ['backend', name, registry.backends.get(name).summary] as const),
    ...registry.workloads.list().map((w) => ['workload', w.name, w.summary] as const),
  ];
  const width = Math.max(0, ...rows.map(([, name]) => name.length));
  for (const [kind, name, summary] of rows)
    io.stdout.write(`${kind.padEnd(8)}  ${name.padEnd(width)}  ${summary}\n`);
  if (registry.backends.names().length === 0)
    io.stderr.write('khva-bench: no backends are registered in this build\n');
  if (registry.workloads.names().length === 0) {
    io.stderr.write('khva-bench: no workloads are registered in this build\n');
  }
  return EXIT_OK;
}
