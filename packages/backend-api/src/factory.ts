import type { Machine } from '@khva/memory-core';
import type { BackendTraits, MappingBackend } from './backend.ts';

/**
 * The version of this interface a factory was written against. A registry refuses a factory of
 * another version instead of calling hooks that mean something else.
 */
export const BACKEND_SPEC_VERSION = 1;

/** A named recipe for a backend: options with defaults, and static traits. */
export interface BackendFactory<O extends object = Record<string, unknown>> {
  readonly specVersion: typeof BACKEND_SPEC_VERSION;
  readonly name: string;
  readonly summary: string;
  readonly traits: BackendTraits;
  readonly defaults: O;
  create(machine: Machine, options?: Partial<O>): MappingBackend;
}

/** What a backend author writes: a factory without the version, which defineBackend stamps. */
export type BackendDefinition<O extends object> = Omit<BackendFactory<O>, 'specVersion'> & {
  readonly specVersion?: typeof BACKEND_SPEC_VERSION;
};

/** Stamp a backend definition with the interface version it was written against. */
export function defineBackend<O extends object>(definition: BackendDefinition<O>): BackendFactory<O> {
  return { ...definition, specVersion: BACKEND_SPEC_VERSION };
}

/**
 * Refuse options a backend does not know, naming the option and the ones it takes: a typo in a
 * configuration must not silently fall back to a default.
 */
export function checkBackendOptions(
  backend: string,
  known: readonly string[],
  options: object | undefined,
): void {
  for (const key of Object.keys(options ?? {})) {
    if (known.includes(key)) continue;
    const allowed = known.length === 0 ? 'it takes no options' : `known options: ${known.join(', ')}`;
    throw new TypeError(`${backend}: unknown option "${key}"; ${allowed}`);
  }
}

/** Does a value look like a backend factory (what a third-party module must export)? */
export function isBackendFactory(v: unknown): v is BackendFactory<object> {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Record<string, unknown>;
  return (
    typeof f.name === 'string' &&
    typeof f.create === 'function' &&
    typeof f.traits === 'object' &&
    f.traits !== null &&
    typeof f.defaults === 'object' &&
    f.defaults !== null
  );
}
