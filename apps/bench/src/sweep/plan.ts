// A sweep file expanded into its points: each one a validated bench config, named by its axis values.
// Every problem (an axis or `set` path naming no config field, a bad expression, a point whose config
// the bench schema refuses) is found here, before anything runs, and reported at once.
import { createHash } from 'node:crypto';
import { compileExpression } from 'filtrex';
import type { BenchRegistry } from '../bench-registry.ts';
import type { BenchConfig } from '../config/bench-config.ts';
import { ConfigError, type ConfigIssue } from '../config/config-error.ts';
import { toConfigIssues } from '../config/issues.ts';
import { validateConfig } from '../config/load.ts';
import { createConfigSchema } from '../config/schema.ts';
import { INPUT_LIMITS } from '../input/limits.ts';
import { canonicalConfig } from '../report/report.ts';
import { pathIssue, setPath } from './config-paths.ts';
import { describeValue } from './describe-value.ts';
import { type AxisValue, SWEEP_FILE_SCHEMA, type SweepFile } from './sweep-file.ts';

/** Top-level config fields an axis may set as a whole (the others are mappings, set field by field). */
const TOP_LEVEL_VALUES = new Set(['seed', 'backends']);
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface SweepAxis {
  readonly name: string;
  /** Distinct values, in the order points use them. */
  readonly values: readonly AxisValue[];
  /** The config path it sets directly, or undefined for a variable used by `set`/`where`. */
  readonly path: string | undefined;
}

export interface ChartPlan {
  /** Axis on the x axis. */
  readonly x: string;
  /** The other axes, held at these values. */
  readonly fix: Readonly<Record<string, AxisValue>>;
}

export interface SweepPoint {
  /** Position in the whole sweep (shards keep it). */
  readonly index: number;
  /** `vcpus=4 vms=2 kernel.flushOnZap=true`. */
  readonly id: string;
  readonly axes: Readonly<Record<string, AxisValue>>;
  readonly config: BenchConfig;
}

export interface SweepPlan {
  readonly axes: readonly SweepAxis[];
  readonly charts: readonly ChartPlan[];
  readonly points: readonly SweepPoint[];
  /** sha256 of the axes, charts and every point's config: shards of one sweep share it. */
  readonly configHash: string;
}

function pointId(axes: Readonly<Record<string, AxisValue>>): string {
  return Object.entries(axes)
    .map(([name, value]) => `${name}=${describeValue(value)}`)
    .join(' ');
}

function cartesian(axes: Record<string, AxisValue[]>): Record<string, AxisValue>[] {
  let out: Record<string, AxisValue>[] = [{}];
  for (const [name, values] of Object.entries(axes)) {
    out = out.flatMap((partial) => values.map((value) => ({ ...partial, [name]: value })));
  }
  return out;
}

type Evaluate = (vars: Record<string, unknown>) => unknown;

function compile(expression: string, where: string, issues: ConfigIssue[]): Evaluate | undefined {
  try {
    return compileExpression(expression) as Evaluate;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    issues.push({ path: where, message: `cannot parse "${expression}": ${reason}` });
    return undefined;
  }
}

/** Evaluates an expression; filtrex returns its errors (an unknown variable, ...) as values. */
function evaluate(fn: Evaluate, vars: Record<string, unknown>): unknown {
  const value = fn(vars);
  if (value instanceof Error) throw value;
  return value;
}

function sameValue(a: AxisValue, b: AxisValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function distinct(values: readonly AxisValue[]): AxisValue[] {
  const out: AxisValue[] = [];
  for (const v of values) if (!out.some((o) => sameValue(o, v))) out.push(v);
  return out;
}

/** The sweep's points, validated; throws a ConfigError listing every problem. */
export function planSweep(raw: unknown, registry: BenchRegistry, source: string): SweepPlan {
  const parsed = SWEEP_FILE_SCHEMA.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new ConfigError(source, toConfigIssues(parsed.error, SWEEP_FILE_SCHEMA));
  const file: SweepFile = parsed.data;
  const configSchema = createConfigSchema(registry);
  const issues: ConfigIssue[] = [];

  // Bounded before multiplying out: ten axes of ten values would be 10^10 points held in memory.
  const product = Object.values(file.axes ?? {}).reduce((n, values) => n * values.length, 1);
  if (product > INPUT_LIMITS.sweepPoints)
    throw new ConfigError(source, [
      {
        path: 'axes',
        message: `${product.toLocaleString('en-US')} points; a sweep has at most ${INPUT_LIMITS.sweepPoints} (use fewer values, or list the points)`,
      },
    ]);
  // Axes: a config path sets that field; any other name must be a variable some expression can use.
  const combos: Record<string, AxisValue>[] =
    file.axes !== undefined ? cartesian(file.axes) : (file.points ?? []).map((p) => ({ ...p }));
  const names = Object.keys(file.axes ?? file.points?.[0] ?? {});
  const paths = new Map<string, string | undefined>();
  for (const name of names) {
    const isPath = name.includes('.') || TOP_LEVEL_VALUES.has(name);
    if (isPath) {
      const problem = pathIssue(configSchema, name, `axes.${name}`);
      if (problem !== undefined) issues.push(problem);
      paths.set(name, name);
    } else if (!VARIABLE.test(name)) {
      issues.push({
        path: `axes.${name}`,
        message: `"${name}" is neither a config path nor a variable name (letters, digits, _)`,
      });
    } else {
      const configFields = Object.keys(
        (configSchema as unknown as { shape: Record<string, unknown> }).shape ?? {},
      );
      if (configFields.includes(name)) {
        issues.push({
          path: `axes.${name}`,
          message: `"${name}" is a mapping of the config; name one of its fields (${name}.FIELD)`,
        });
        paths.set(name, name);
      } else paths.set(name, undefined);
    }
  }
  const variables = names.filter((n) => paths.get(n) === undefined);
  const setters: [string, Evaluate][] = [];
  for (const [path, expression] of Object.entries(file.set)) {
    const problem = pathIssue(configSchema, path, `set.${path}`);
    if (problem !== undefined) issues.push(problem);
    const fn = compile(expression, `set.${path}`, issues);
    if (fn !== undefined) setters.push([path, fn]);
  }
  for (const variable of variables) {
    const used =
      Object.values(file.set).some((e) => new RegExp(`\\b${variable}\\b`).test(e)) ||
      (file.where !== undefined && new RegExp(`\\b${variable}\\b`).test(file.where));
    if (!used) {
      issues.push({
        path: `axes.${variable}`,
        message: `"${variable}" names no config field and no \`set\` or \`where\` expression uses it`,
      });
    }
  }
  const keep = file.where === undefined ? undefined : compile(file.where, 'where', issues);
  if (issues.length > 0) throw new ConfigError(source, issues);

  const points: SweepPoint[] = [];
  for (const combo of combos) {
    const id = pointId(combo);
    const vars: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(combo)) if (VARIABLE.test(name)) vars[name] = value;
    let doc: Record<string, unknown>;
    try {
      if (keep !== undefined && evaluate(keep, vars) !== true) continue;
      doc = structuredClone(file.base);
      for (const [name, value] of Object.entries(combo)) {
        const path = paths.get(name);
        if (path !== undefined) setPath(doc, path, value);
      }
      for (const [path, fn] of setters) setPath(doc, path, evaluate(fn, vars));
    } catch (error) {
      issues.push({ path: `point ${id}`, message: error instanceof Error ? error.message : String(error) });
      continue;
    }
    try {
      const config = canonicalConfig(validateConfig(doc, registry, `${source} point ${id}`));
      points.push({ index: points.length, id, axes: combo, config });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const issue of error.issues) issues.push({ ...issue, path: `point ${id}: ${issue.path}` });
    }
  }
  if (issues.length === 0 && points.length === 0) {
    issues.push({ path: 'where', message: 'no point is left: the expression is false for every point' });
  }
  if (issues.length > 0) throw new ConfigError(source, issues);

  const axes: SweepAxis[] = names.map((name) => ({
    name,
    values: distinct(points.map((p) => p.axes[name] as AxisValue)),
    path: paths.get(name),
  }));
  const charts = planCharts(file, axes, source);
  const configHash = createHash('sha256').update(JSON.stringify({ axes, charts, points })).digest('hex');
  return { axes, charts, points, configHash };
}

/** Charts against every axis with more than one number, the others at their first value, unless given. */
function planCharts(file: SweepFile, axes: readonly SweepAxis[], source: string): ChartPlan[] {
  if (file.charts !== undefined) {
    const issues: ConfigIssue[] = [];
    file.charts.forEach((chart, i) => {
      const known = axes.map((a) => a.name);
      for (const name of [chart.x, ...Object.keys(chart.fix)]) {
        if (!known.includes(name))
          issues.push({ path: `charts[${i}]`, message: `unknown axis "${name}"`, allowed: known });
      }
    });
    if (issues.length > 0) throw new ConfigError(source, issues);
    return file.charts.map((c) => ({ x: c.x, fix: { ...c.fix } }));
  }
  const numeric = axes.filter((a) => a.values.length > 1 && a.values.every((v) => typeof v === 'number'));
  return numeric.map((axis) => ({
    x: axis.name,
    fix: Object.fromEntries(
      axes.filter((a) => a !== axis).map((a) => [a.name, a.values[0] as AxisValue] as const),
    ),
  }));
}

/** The points of shard `index` (1-based) of `count`: every count-th point, so shards get similar mixes. */
export function shardPoints(points: readonly SweepPoint[], index: number, count: number): SweepPoint[] {
  return points.filter((p) => p.index % count === index - 1);
}

export { describeValue };
