// The workloads a build of the bench app can run, by name, in the order they were listed.
import type { z } from 'zod';
import type {
  WorkloadDefinition,
  WorkloadParamsSchema,
  WorkloadResult,
  WorkloadRunContext,
} from './workload.ts';

const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** A workload as the bench app sees it: params validated on entry, so callers pass plain data. */
export interface RegisteredWorkload {
  readonly name: string;
  readonly summary: string;
  /** The definition's params schema, made strict: unknown keys are errors. */
  readonly params: z.ZodObject<z.core.$ZodShape, z.core.$strict>;
  /** Validates `params` (applying defaults) and runs the workload. */
  run(params: unknown, ctx: WorkloadRunContext): WorkloadResult;
}

export interface WorkloadRegistry {
  /** Names in registration order. */
  names(): string[];
  get(name: string): RegisteredWorkload | undefined;
  list(): readonly RegisteredWorkload[];
}

function register<S extends WorkloadParamsSchema>(definition: WorkloadDefinition<S>): RegisteredWorkload {
  const params = definition.params.strict();
  const defaults = params.safeParse({});
  if (!defaults.success) {
    const fields = defaults.error.issues.map((i) => i.path.join('.')).join(', ');
    throw new Error(
      `workload "${definition.name}": every param needs a default ({} must parse); missing: ${fields}`,
    );
  }
  return {
    name: definition.name,
    summary: definition.summary,
    params,
    run: (raw, ctx) => definition.run(definition.params.parse(raw), ctx),
  };
}

/** Builds a registry; throws on a malformed name, a duplicate, or a params schema without defaults. */
export function createWorkloadRegistry(definitions: readonly WorkloadDefinition[]): WorkloadRegistry {
  const byName = new Map<string, RegisteredWorkload>();
  for (const definition of definitions) {
    if (!NAME.test(definition.name)) {
      throw new Error(`workload name "${definition.name}" must be kebab-case (${NAME})`);
    }
    if (byName.has(definition.name)) throw new Error(`workload "${definition.name}" is registered twice`);
    byName.set(definition.name, register(definition));
  }
  const list = [...byName.values()];
  return {
    names: () => list.map((w) => w.name),
    get: (name) => byName.get(name),
    list: () => list,
  };
}
