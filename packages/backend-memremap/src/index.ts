import {
  type BackendFactory,
  type BackendTraits,
  checkBackendOptions,
  defineBackend,
  globalTraits,
} from '@khva/backend-api';
import type { Machine } from '@khva/memory-core';
import {
  MemremapBackend,
  type MemremapMode,
  type MemremapRelaxedOptions,
  type MemremapStrictOptions,
} from './memremap.ts';

export {
  MemremapBackend,
  type MemremapMode,
  type MemremapRelaxedOptions,
  type MemremapStats,
  type MemremapStrictOptions,
} from './memremap.ts';

// strict: a global mapping that may refuse RAM (ioremap refuses system RAM); flushed at once.
const strictTraits: BackendTraits = globalTraits({ mayRefuseRam: true });

// relaxed: never refuses RAM; iounmap leaves the flush to the lazy purge, as vunmap does.
const relaxedTraits: BackendTraits = globalTraits({ lazyFlush: true });

const strictDefaults: MemremapStrictOptions = { skipAbsent: false };
const relaxedDefaults: MemremapRelaxedOptions = { nonLazyIounmap: false };

/** `memremap-strict`: today's memremap(MEMREMAP_WB); `skipAbsent` makes it refuse instead. */
export const memremapStrictBackend: BackendFactory<MemremapStrictOptions> = memremapFactory(
  'strict',
  "today's memremap(MEMREMAP_WB): the direct-map address of any RAM page (dead if the page left the direct map); skipAbsent: refused by ioremap (-EFAULT)",
  strictTraits,
  strictDefaults,
  ({ skipAbsent }) => ({ skipAbsent, nonLazyIounmap: false }),
);

/** `memremap-relaxed`: pages absent from the direct map are ioremapped into vmalloc space. */
export const memremapRelaxedBackend: BackendFactory<MemremapRelaxedOptions> = memremapFactory(
  'relaxed',
  'memremap relaxed for RAM absent from the direct map: ioremap path (resource walk, memtype, vmalloc VA + PTE), lazy iounmap like vunmap',
  relaxedTraits,
  relaxedDefaults,
  ({ nonLazyIounmap }) => ({ skipAbsent: true, nonLazyIounmap }),
);

/** A factory for one memremap mode: its boolean options (checked) set the backend's two switches. */
function memremapFactory<O extends object>(
  mode: MemremapMode,
  summary: string,
  traits: BackendTraits,
  defaults: O,
  switches: (options: O) => MemremapBackend['options'],
): BackendFactory<O> {
  const name = `memremap-${mode}`;
  return defineBackend<O>({
    name,
    summary,
    traits,
    defaults,
    create(machine: Machine, options?: Partial<O>) {
      return new MemremapBackend(machine, mode, traits, switches(booleanOptions(name, defaults, options)));
    },
  });
}

/** Options must be known keys with boolean values; anything else is a configuration error. */
function booleanOptions<O extends object>(backend: string, defaults: O, options: Partial<O> | undefined): O {
  const out = { ...defaults };
  checkBackendOptions(backend, Object.keys(defaults), options);
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined) continue;
    if (typeof value !== 'boolean')
      throw new TypeError(`${backend}: option ${key} must be a boolean, got ${JSON.stringify(value)}`);
    (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** Both factories, for registering in one go. */
export const memremapBackends = [memremapStrictBackend, memremapRelaxedBackend] as const;
