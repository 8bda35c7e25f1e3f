import {
  type BackendFactory,
  type BackendTraits,
  checkBackendOptions,
  defineBackend,
  globalTraits,
} from '@khva/backend-api';
import type { Machine } from '@khva/memory-core';
import { MemremapBackend, type MemremapRelaxedOptions, type MemremapStrictOptions } from './memremap.ts';

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
export const memremapStrictBackend: BackendFactory<MemremapStrictOptions> =
  defineBackend<MemremapStrictOptions>({
    name: 'memremap-strict',
    summary:
      "today's memremap(MEMREMAP_WB): the direct-map address of any RAM page (dead if the page left the direct map); skipAbsent: refused by ioremap (-EFAULT)",
    traits: strictTraits,
    defaults: strictDefaults,
    create(machine: Machine, options?: Partial<MemremapStrictOptions>) {
      const { skipAbsent } = booleanOptions('memremap-strict', strictDefaults, options);
      return new MemremapBackend(machine, 'strict', strictTraits, { skipAbsent, nonLazyIounmap: false });
    },
  });

/** `memremap-relaxed`: pages absent from the direct map are ioremapped into vmalloc space. */
export const memremapRelaxedBackend: BackendFactory<MemremapRelaxedOptions> =
  defineBackend<MemremapRelaxedOptions>({
    name: 'memremap-relaxed',
    summary:
      'memremap relaxed for RAM absent from the direct map: ioremap path (resource walk, memtype, vmalloc VA + PTE), lazy iounmap like vunmap',
    traits: relaxedTraits,
    defaults: relaxedDefaults,
    create(machine: Machine, options?: Partial<MemremapRelaxedOptions>) {
      const { nonLazyIounmap } = booleanOptions('memremap-relaxed', relaxedDefaults, options);
      return new MemremapBackend(machine, 'relaxed', relaxedTraits, { skipAbsent: true, nonLazyIounmap });
    },
  });

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
