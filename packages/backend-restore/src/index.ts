import { type BackendFactory, checkBackendOptions, defineBackend } from '@khva/backend-api';
import type { Machine } from '@khva/memory-core';
import { RestoreBackend, restoreTraits } from './restore.ts';

export { RestoreBackend, type RestoreStats, restoreTraits } from './restore.ts';

/** restore takes no options. */
export type RestoreOptions = Record<string, never>;

/** `restore`: the direct-map PTE comes back while a cache holds the page. */
export const restoreBackend: BackendFactory<RestoreOptions> = defineBackend<RestoreOptions>({
  name: 'restore',
  summary:
    'restore the direct-map PTE while a cache holds the page (refcounted); remove it again with a flush to every CPU when the last holder lets go',
  traits: restoreTraits,
  defaults: {},
  create(machine: Machine, options?: Partial<RestoreOptions>) {
    checkBackendOptions('restore', [], options);
    return new RestoreBackend(machine);
  },
});
