// `--config FILE` on scenario, explore and list: only the config's `backendModules` are read, so that the
// backends a run would use are also the ones these commands know.
import { resolve } from 'node:path';
import type { BenchRegistry } from '../bench-registry.ts';
import { ConfigError } from '../config/config-error.ts';
import { readConfigDocument, registryWithModules } from '../config/load.ts';
import type { CliIo } from '../io.ts';

/** The registry with the config's backend modules, or null after telling the user what is wrong. */
export async function registryForConfig(
  config: string | undefined,
  registry: BenchRegistry,
  io: CliIo,
): Promise<BenchRegistry | null> {
  if (config === undefined) return registry;
  const path = resolve(io.cwd, config);
  try {
    const raw = await readConfigDocument(path, config);
    return await registryWithModules(raw.backendModules, path, registry, config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.stderr.write(`khva-bench: ${error.message}\n`);
    return null;
  }
}
