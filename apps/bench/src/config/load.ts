// Reading a config: JSON or YAML text -> raw document -> overrides -> schema -> normalised BenchConfig.
// Reading and parsing go through the hardened input module (size limit, duplicate and prototype keys,
// alias bombs); every problem is a ConfigError.
import { type BenchRegistry, withBackends } from '../bench-registry.ts';
import { InputError } from '../input/input-error.ts';
import { INPUT_LIMITS } from '../input/limits.ts';
import { type DocumentFormat, formatOf, parseMapping } from '../input/parse-document.ts';
import { readInputFile } from '../input/read-input.ts';
import { loadBackendModules } from './backend-modules.ts';
import type { BenchConfig } from './bench-config.ts';
import { ConfigError } from './config-error.ts';
import { toConfigIssues } from './issues.ts';
import { applyOverrides, type ConfigOverrides, checkOverrideNames } from './overrides.ts';
import { createConfigSchema } from './schema.ts';

export type ConfigFormat = DocumentFormat;
export { formatOf };

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An InputError about a config file, as the ConfigError the config layer promises. */
function asConfigError(error: unknown): unknown {
  return error instanceof InputError && !(error instanceof ConfigError)
    ? new ConfigError(error.source, error.issues)
    : error;
}

/** Parses the text of a config file; throws a ConfigError for a syntax error or a document that is not a mapping. */
export function parseConfigText(text: string, format: ConfigFormat, source: string): Record<string, unknown> {
  try {
    return parseMapping(text, { format, kind: 'config', source });
  } catch (error) {
    throw asConfigError(error);
  }
}

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

/** Validates a raw document (after applying `overrides`) against the registry's schema and normalises it. */
export function validateConfig(
  raw: Record<string, unknown>,
  registry: BenchRegistry,
  source: string,
  overrides: ConfigOverrides = {},
): BenchConfig {
  const flagIssues = checkOverrideNames(overrides, registry);
  const input = applyOverrides(raw, overrides);
  const schema = createConfigSchema(registry);
  const result = schema.safeParse(input, { reportInput: true });
  const issues = [...flagIssues, ...(result.success ? [] : toConfigIssues(result.error, schema))];
  if (issues.length > 0 || !result.success) throw new ConfigError(source, issues);

  const parsed = result.data;
  // zod returns an object's keys in schema order; a run follows the order the user wrote.
  const order = isMapping(input.workloads) ? Object.keys(input.workloads) : [];
  const workloads: Record<string, Record<string, unknown>> = {};
  for (const name of order) {
    const params = parsed.workloads[name];
    if (params !== undefined) workloads[name] = params;
  }
  const calibration: Record<string, number> = {};
  for (const row of Object.keys(parsed.calibration).sort()) {
    const cycles = parsed.calibration[row];
    if (cycles !== undefined) calibration[row] = cycles;
  }
  const backendOptions: Record<string, Record<string, unknown>> = {};
  for (const [backend, options] of Object.entries(parsed.backendOptions)) {
    if (options !== undefined) backendOptions[backend] = { ...options };
  }
  return {
    seed: parsed.seed,
    machine: { ...parsed.machine },
    backends: [...parsed.backends],
    workloads,
    kernel: { ...parsed.kernel },
    calibration,
    backendOptions,
    ...(parsed.backendModules === undefined || parsed.backendModules.length === 0
      ? {}
      : { backendModules: [...parsed.backendModules] }),
  };
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
