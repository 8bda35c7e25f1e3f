// The shape of sweep.json as a zod schema: merge checks its inputs with it, and the build publishes it as
// JSON Schema (schema/khva.sweep.v1.schema.json) for anyone reading sweep.json with other tools.
import { z } from 'zod';
import { COST_KEYS, SAFETY_KEYS } from '../metrics.ts';
import { DERIVED_KEYS } from './derived.ts';
import { SWEEP_SCHEMA } from './sweep.ts';
import { AXIS_VALUE } from './sweep-file.ts';

export const SWEEP_SCHEMA_FILE = 'schema/khva.sweep.v1.schema.json';

const numbers = (keys: readonly string[]) =>
  z.strictObject(Object.fromEntries(keys.map((k) => [k, z.number()])) as Record<string, z.ZodNumber>);

const entry = z.strictObject({
  workload: z.string(),
  backend: z.string(),
  ops: z.number().int().nonnegative().meta({ description: 'gpc accesses attempted' }),
  cost: numbers(COST_KEYS),
  safety: numbers(SAFETY_KEYS),
  notes: z.array(z.string()).optional(),
  derived: numbers(DERIVED_KEYS).meta({ description: 'per-op and per-simulated-second figures' }),
});

const benchConfig = z.strictObject({
  seed: z.number().int(),
  machine: z.strictObject({ cpus: z.number(), tlbEntries: z.number(), ghz: z.number(), memGiB: z.number() }),
  backends: z.array(z.string()),
  workloads: z.record(z.string(), z.record(z.string(), z.unknown())),
  kernel: z.strictObject({
    series: z.enum(['mainline', 'rfc-v1', 'rfc-v3']),
    gmemInvalidation: z.boolean(),
    flushOnZap: z.boolean(),
    reachGuard: z.boolean(),
    samePfnRemap: z.boolean(),
    hvaRangeTracking: z.boolean(),
    gpcMapMasksAnon: z.boolean(),
    releaseHook: z.boolean(),
  }),
  calibration: z.record(z.string(), z.number()),
  backendOptions: z.record(z.string(), z.record(z.string(), z.unknown())),
  backendModules: z.array(z.string()).optional(),
});

const point = z.strictObject({
  index: z.number().int().nonnegative(),
  id: z.string(),
  axes: z.record(z.string(), AXIS_VALUE),
  config: benchConfig,
  results: z.array(entry).optional(),
  error: z.string().optional(),
});

export const SWEEP_OUTPUT_SCHEMA = z
  .strictObject({
    schema: z.literal(SWEEP_SCHEMA),
    configHash: z.string().regex(/^[0-9a-f]{64}$/),
    build: z.string().min(1),
    axes: z.array(
      z.strictObject({ name: z.string(), path: z.string().nullable(), values: z.array(AXIS_VALUE) }),
    ),
    charts: z.array(z.strictObject({ x: z.string(), fix: z.record(z.string(), AXIS_VALUE) })),
    pointCount: z.number().int().positive(),
    shard: z
      .strictObject({ index: z.number().int().positive(), count: z.number().int().positive() })
      .optional(),
    points: z.array(point),
  })
  .meta({
    title: 'khva-bench sweep result',
    description: `${SWEEP_SCHEMA}: the points of a sweep, each with its config and one entry per workload x backend.`,
  });

export function sweepJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(SWEEP_OUTPUT_SCHEMA, { target: 'draft-2020-12' });
}

export function renderSweepJsonSchema(): string {
  return `${JSON.stringify(sweepJsonSchema(), null, 2)}\n`;
}
