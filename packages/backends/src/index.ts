import { type BackendFactory, BackendRegistry, isBackendFactory } from '@khva/backend-api';
import { directMapBackend } from '@khva/backend-direct-map';
import { ephmapBackend } from '@khva/backend-ephmap';
import { memremapRelaxedBackend, memremapStrictBackend } from '@khva/backend-memremap';
import { mmLocalBackend } from '@khva/backend-mm-local';
import { restoreBackend } from '@khva/backend-restore';
import { vmapBackend } from '@khva/backend-vmap';

/** The built-in backends, in the order reports list them (the "before" baseline first). */
export const builtinBackends: readonly BackendFactory<object>[] = [
  directMapBackend,
  vmapBackend,
  memremapStrictBackend,
  memremapRelaxedBackend,
  mmLocalBackend,
  ephmapBackend,
  restoreBackend,
];

/** The names configuration uses for the built-in backends. */
export const builtinBackendNames: readonly string[] = builtinBackends.map((f) => f.name);

/**
 * A registry holding every built-in backend, plus any third-party factories given. A third
 * party publishes a package whose export is a `defineBackend({...})` factory and registers it
 * here (or with `registry.register(factory)`), without touching khva's packages.
 */
export function createDefaultRegistry(extra: Iterable<BackendFactory<object>> = []): BackendRegistry {
  const registry = new BackendRegistry(builtinBackends);
  for (const f of extra) registry.register(f);
  return registry;
}

/** Load third-party backend modules by specifier: each must export a factory (default or named). */
export async function loadBackendModules(specifiers: readonly string[]): Promise<BackendFactory<object>[]> {
  const out: BackendFactory<object>[] = [];
  for (const spec of specifiers) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(spec)) as Record<string, unknown>;
    } catch (e) {
      throw new Error(`backend module "${spec}" could not be loaded: ${(e as Error).message}`);
    }
    const found = Object.values(mod).filter(isBackendFactory);
    if (found.length === 0) {
      throw new Error(
        `backend module "${spec}" exports no backend factory (an object with name, traits, defaults and create())`,
      );
    }
    out.push(...new Set(found));
  }
  return out;
}
