// A config's text -> raw document -> overrides -> schema -> normalised BenchConfig. No file access: the CLI
// (load.ts) and the browser playground (apps/web) both validate through here, with the same messages.
// Parsing goes through the hardened input module (size limit, duplicate and prototype keys, alias bombs).
import type { BenchRegistry } from '../bench-registry.ts';
import { InputError } from '../input/input-error.ts';
import { type DocumentFormat, parseMapping } from '../input/parse-document.ts';
import type { BenchConfig } from './bench-config.ts';
import { ConfigError } from './config-error.ts';
import { toConfigIssues } from './issues.ts';
import { applyOverrides, type ConfigOverrides, checkOverrideNames } from './overrides.ts';
import { createConfigSchema } from './schema.ts';

export type ConfigFormat = DocumentFormat;

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An InputError about a config file, as the ConfigError the config layer promises. */
export function asConfigError(error: unknown): unknown {
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
