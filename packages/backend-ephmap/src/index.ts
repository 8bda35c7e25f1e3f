import { type BackendFactory, checkBackendOptions, defineBackend } from '@khva/backend-api';
import type { Machine } from '@khva/memory-core';
import { EphmapBackend, ephmapTraits } from './ephmap.ts';

export {
  EphmapBackend,
  type EphmapRefusal,
  type EphmapStats,
  ephmapTraits,
  MAX_PAGECACHE_ORDER,
  MERMAP_BASE,
  MERMAP_SLICE_PAGES,
  MERMAP_USABLE_PAGES,
  mermapSliceBase,
} from './ephmap.ts';

/** ephmap takes no options. */
export type EphmapOptions = Record<string, never>;

/** `ephmap`: ephmap/mermap, no cached khva; every access maps and unmaps in the current CPU's slice. */
export const ephmapBackend: BackendFactory<EphmapOptions> = defineBackend<EphmapOptions>({
  name: 'ephmap',
  summary:
    "ephmap/mermap: no cached khva; each access maps into this CPU's slice of the current mm and unmaps with no remote flush; task context in the VM's mm only",
  traits: ephmapTraits,
  defaults: {},
  create(machine: Machine, options?: Partial<EphmapOptions>) {
    checkBackendOptions('ephmap', [], options);
    return new EphmapBackend(machine);
  },
});
