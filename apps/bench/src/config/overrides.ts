// Command-line overrides of a config (`--seed`, `--backends`, `--workloads`), applied to the raw document
// before validation so the schema checks them like any other value.
import type { BenchRegistry } from '../bench-registry.ts';
import { hasModel } from '../bench-registry.ts';
import type { ConfigIssue } from './config-error.ts';

export interface ConfigOverrides {
  readonly seed?: number;
  /** Replaces the config's backends, in this order. */
  readonly backends?: readonly string[];
  /** Runs these workloads, in this order: with the config's params where it has them, defaults otherwise. */
  readonly workloads?: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Names given on the command line that the registry does not know (checked only once a model is wired in). */
export function checkOverrideNames(overrides: ConfigOverrides, registry: BenchRegistry): ConfigIssue[] {
  if (!hasModel(registry)) return [];
  const issues: ConfigIssue[] = [];
  const check = (flag: string, kind: string, given: readonly string[] | undefined, known: string[]) => {
    for (const name of given ?? []) {
      if (!known.includes(name))
        issues.push({ path: flag, message: `unknown ${kind} "${name}"`, allowed: known });
    }
  };
  check('--backends', 'backend', overrides.backends, registry.backends.names());
  check('--workloads', 'workload', overrides.workloads, registry.workloads.names());
  return issues;
}

/** A copy of the raw document with the overrides applied; the input is not modified. */
export function applyOverrides(
  raw: Record<string, unknown>,
  overrides: ConfigOverrides,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  if (overrides.seed !== undefined) out.seed = overrides.seed;
  if (overrides.backends !== undefined) out.backends = [...overrides.backends];
  if (overrides.workloads !== undefined) {
    const configured = isRecord(raw.workloads) ? raw.workloads : {};
    const selected: Record<string, unknown> = {};
    for (const name of overrides.workloads) selected[name] = configured[name] ?? {};
    out.workloads = selected;
  }
  return out;
}
