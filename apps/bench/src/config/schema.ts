// The config schema, built from a registry: backend and workload names, and each workload's own params.
// One zod schema drives validation, the error messages and the published JSON Schema.
import { type KernelOptions, kernelSeries, resolveKernelOptions } from '@khva/kvm';
import { CALIBRATION_CYCLES_MAX, MACHINE_LIMITS, type Range } from '@khva/memory-core';
import { z } from 'zod';
import type { BenchRegistry } from '../bench-registry.ts';
import { hasModel } from '../bench-registry.ts';
import { backendOptionIssues } from './backend-options.ts';
import { DEFAULT_KERNEL, DEFAULT_MACHINE } from './bench-config.ts';

/** What the schema's parse returns, before normalisation (bench-config.ts). */
export interface ParsedConfig {
  $schema?: string | undefined;
  seed: number;
  machine: { cpus: number; tlbEntries: number; ghz: number; memGiB: number };
  backends: string[];
  workloads: Record<string, Record<string, unknown> | undefined>;
  kernel: KernelOptions;
  calibration: Record<string, number | undefined>;
  backendOptions: Record<string, Record<string, unknown> | undefined>;
  backendModules?: string[] | undefined;
}

export type ConfigSchema = z.ZodType<ParsedConfig>;

function describeInput(input: unknown): string {
  return typeof input === 'string' ? JSON.stringify(input) : `a ${input === null ? 'null' : typeof input}`;
}

function backendsSchema(names: readonly string[], lenient: boolean) {
  const name =
    lenient || names.length === 0
      ? z.string().min(1)
      : z.enum(names, {
          error: (issue) => `unknown backend ${describeInput(issue.input)}`,
        });
  return z
    .array(name)
    .min(1, 'name at least one backend')
    .superRefine((list, ctx) => {
      list.forEach((backend, i) => {
        if (list.indexOf(backend) !== i) {
          ctx.addIssue({ code: 'custom', path: [i], message: `duplicate backend "${backend}"` });
        }
      });
    })
    .meta({ description: 'Backends to compare, by name, in the order reports list them.' });
}

function workloadsSchema(registry: BenchRegistry, lenient: boolean) {
  const atLeastOne = (w: object) => Object.keys(w).length > 0;
  const description =
    'Workloads to run, by name, each with its parameters (omitted ones take their defaults).';
  if (lenient) {
    return z
      .record(z.string(), z.record(z.string(), z.unknown()))
      .refine(atLeastOne, 'name at least one workload')
      .meta({ description });
  }
  const shape: Record<string, z.ZodOptional<z.ZodObject<z.core.$ZodShape, z.core.$strict>>> = {};
  for (const workload of registry.workloads.list()) {
    shape[workload.name] = workload.params.meta({ description: workload.summary }).optional();
  }
  return z
    .strictObject(shape)
    .refine(atLeastOne, {
      message: 'name at least one workload',
      // An unknown workload is already reported; do not also say that none is left.
      when: (payload) => payload.issues.length === 0,
    })
    .meta({ description });
}

function calibrationSchema(rows: readonly string[] | undefined) {
  const cycles = z
    .number()
    .nonnegative()
    .max(CALIBRATION_CYCLES_MAX)
    .meta({ description: 'Modelled cycles for this row.' });
  const description = 'Overrides of the cost table (modelled cycles), by row name.';
  if (rows === undefined) return z.record(z.string(), cycles).prefault({}).meta({ description });
  const shape: Record<string, z.ZodOptional<typeof cycles>> = {};
  for (const row of rows) shape[row] = cycles.optional();
  return z.strictObject(shape).prefault({}).meta({ description });
}

/** A schema for a documented option, typed by its default (so editors complete and check it). */
function optionSchema(defaultValue: unknown) {
  const description = `Default: ${JSON.stringify(defaultValue)}.`;
  switch (typeof defaultValue) {
    case 'boolean':
      return z.boolean().optional().meta({ description });
    case 'number':
      return z.number().optional().meta({ description });
    case 'string':
      return z.string().optional().meta({ description });
    default:
      return z.unknown().optional().meta({ description });
  }
}

function backendOptionsSchema(registry: BenchRegistry, lenient: boolean) {
  const description =
    "Options for each backend's factory, by backend name; checked at load time by creating the backend once.";
  if (lenient) {
    return z.record(z.string(), z.record(z.string(), z.unknown())).prefault({}).meta({ description });
  }
  const catalog = registry.backends;
  const shape: Record<string, z.ZodType<Record<string, unknown> | undefined>> = {};
  for (const name of catalog.names()) {
    const documented: Record<string, z.ZodType> = {};
    for (const [option, value] of Object.entries(catalog.get(name).defaults))
      documented[option] = optionSchema(value);
    shape[name] = z
      .looseObject(documented)
      .superRefine((options, ctx) => {
        for (const issue of backendOptionIssues(catalog, name, options)) {
          ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message, input: options });
        }
      })
      .optional()
      .meta({ description: `Options of the ${name} backend (its factory decides which it accepts).` });
  }
  return z.strictObject(shape).prefault({}).meta({ description });
}

/** A number within one of the model's limits (memory-core's MACHINE_LIMITS, the single source of truth). */
function limited(range: Range) {
  return (range.integer ? z.int() : z.number()).min(range.min).max(range.max);
}

/**
 * The config schema for a registry. With an empty registry (nothing wired in yet) names cannot be checked,
 * so they are only required to be strings; `run` then refuses to run anyway.
 */
export function createConfigSchema(registry: BenchRegistry): ConfigSchema {
  const lenient = !hasModel(registry);
  return z
    .strictObject({
      $schema: z.string().optional().meta({ description: 'Path or URL of this JSON Schema, for editors.' }),
      seed: z
        .int()
        .min(0)
        .max(2 ** 32 - 1)
        .meta({ description: 'Seed of every run: same config and seed, byte-identical report.json.' }),
      machine: z
        .strictObject({
          cpus: limited(MACHINE_LIMITS.cpus).meta({ description: 'Online CPUs.' }),
          tlbEntries: limited(MACHINE_LIMITS.tlbEntries)
            .default(DEFAULT_MACHINE.tlbEntries)
            .meta({ description: 'TLB entries per CPU.' }),
          ghz: limited(MACHINE_LIMITS.ghz).default(DEFAULT_MACHINE.ghz).meta({ description: 'Core clock.' }),
          memGiB: limited(MACHINE_LIMITS.memGiB)
            .int()
            .default(DEFAULT_MACHINE.memGiB)
            .meta({ description: 'Host memory.' }),
        })
        .meta({ description: 'The modelled machine.' }),
      backends: backendsSchema(registry.backends.names(), lenient),
      workloads: workloadsSchema(registry, lenient),
      kernel: z
        .strictObject({
          series: z.enum(kernelSeries).default(DEFAULT_KERNEL.series).meta({
            description:
              'Kernel generation: mainline (no guest_memfd path in the gpc), rfc-v1 (kvm_gmem_get_pfn for any gmem slot, vmap per memslot), rfc-v3 (gmem-only slots or private gfns, vmap per folio).',
          }),
          gmemInvalidation: z.boolean().optional().meta({
            description:
              'guest_memfd invalidation reaches gpcs (seed RFC v2/v3); false models RFC v1. Default: on for rfc-v3, off otherwise.',
          }),
          flushOnZap: z.boolean().default(DEFAULT_KERNEL.flushOnZap).meta({
            description:
              'Flush the TLB after removing a gmem page from the direct map; false: a deployed variant.',
          }),
          reachGuard: z.boolean().default(DEFAULT_KERNEL.reachGuard).meta({
            description:
              'mm-local/ephmap: check fails where the mapping is unreachable; false shows the oops.',
          }),
          samePfnRemap: z.boolean().default(DEFAULT_KERNEL.samePfnRemap).meta({
            description:
              'Finding 1 fix: an unchanged pfn keeps its old khva only if that is not a dead direct-map address.',
          }),
          hvaRangeTracking: z.boolean().default(DEFAULT_KERNEL.hvaRangeTracking).meta({
            description:
              'Finding 2 (R6) fix: an invalidation covering an active cache bumps mmu_invalidate_seq even outside every memslot.',
          }),
          gpcMapMasksAnon: z.boolean().default(DEFAULT_KERNEL.gpcMapMasksAnon).meta({
            description:
              'Finding 3 fix (on by default): gpc_map masks the anon bit of folio->mapping; false reports each raw read.',
          }),
          releaseHook: z.boolean().default(DEFAULT_KERNEL.releaseHook).meta({
            description:
              'Finding 4 fix: the gpc calls the backend release hook when it drops a pfn (ephmap flushes there).',
          }),
        })
        .prefault({})
        .transform((k) => resolveKernelOptions(k))
        .meta({ description: 'Which kernel behaviour to model.' }),
      calibration: calibrationSchema(registry.calibrationRows),
      backendOptions: backendOptionsSchema(registry, lenient),
      backendModules: z.array(z.string().min(1)).optional().meta({
        description:
          'Third-party backend modules (package names, or paths relative to this file) whose exported backend factories join the built-ins for run, scenario, explore and list.',
      }),
    })
    .meta({ title: 'khva-bench config', description: 'Workloads x backends to compare (khva-bench run).' });
}
