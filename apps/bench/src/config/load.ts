// Reading a config file and the backend modules it names (the Node-only edge; parsing and validating the
// text is validate.ts).
import { type BenchRegistry, withBackends } from '../bench-registry.ts';
import { INPUT_LIMITS } from '../input/limits.ts';
import { formatOf } from '../input/parse-document.ts';
import { readInputFile } from '../input/read-input.ts';
import { loadBackendModules } from './backend-modules.ts';
import type { BenchConfig } from './bench-config.ts';
import { ConfigError } from './config-error.ts';
import type { ConfigOverrides } from './overrides.ts';
import { asConfigError, type ConfigFormat, parseConfigText, validateConfig } from './validate.ts';

export { type ConfigFormat, formatOf, parseConfigText, validateConfig };

/** Reads and parses a config file into its raw document; a ConfigError naming `source` when it cannot. */
export async function readConfigDocument(path: string, source: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readInputFile(path, { kind: 'config', source, maxBytes: INPUT_LIMITS.configBytes });
  } catch (error) {
    throw asConfigError(error);
  }
  return parseConfigText(text, formatOf(path), source);
}

/** Reads, parses and validates a config file; every problem is a ConfigError naming `source` (default: `path`). */
export async function loadConfigFile(
  path: string,
  registry: BenchRegistry,
  overrides: ConfigOverrides = {},
  source: string = path,
): Promise<BenchConfig> {
  return (await loadConfigWithBackends(path, registry, overrides, source)).config;
}

/**
 * Reads a config file and the backend modules it names (`backendModules`), and validates it against the
 * registry those backends join. Returns the config and that registry, which the run must use.
 */
export async function loadConfigWithBackends(
  path: string,
  registry: BenchRegistry,
  overrides: ConfigOverrides = {},
  source: string = path,
): Promise<{ config: BenchConfig; registry: BenchRegistry }> {
  const raw = await readConfigDocument(path, source);
  const extended = await registryWithModules(raw.backendModules, path, registry, source);
  return { config: validateConfig(raw, extended, source, overrides), registry: extended };
}

/** The registry with the backends of the modules a config names; a ConfigError when one cannot join. */
export async function registryWithModules(
  specifiers: unknown,
  configPath: string,
  registry: BenchRegistry,
  source: string,
): Promise<BenchRegistry> {
  const factories = await loadBackendModules(specifiers, configPath, source);
  try {
    return withBackends(registry, factories);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new ConfigError(source, [{ path: 'backendModules', message: error.message }]);
  }
}
