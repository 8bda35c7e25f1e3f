import { type BackendFactory, checkBackendOptions, defineBackend } from '@khva/backend-api';
import type { Machine } from '@khva/memory-core';
import { MmLocalBackend, mmLocalTraits } from './mm-local.ts';

export {
  MM_LOCAL_AREA_BYTES,
  MM_LOCAL_MAP_SIZE,
  MM_LOCAL_MAP_START,
  MmLocalBackend,
  type MmLocalStats,
  mmLocalTraits,
} from './mm-local.ts';

/** mm-local takes no options. */
export type MmLocalOptions = Record<string, never>;

/** `mm-local`: a stable one-page mapping in the VM's mm-local kernel region. */
export const mmLocalBackend: BackendFactory<MmLocalOptions> = defineBackend<MmLocalOptions>({
  name: 'mm-local',
  summary:
    "stable one-page mapping in the VM's mm-local region: visible only where the VM's mm is loaded; lazy per-mm purge, IPIs only to the mm's CPUs",
  traits: mmLocalTraits,
  defaults: {},
  create(machine: Machine, options?: Partial<MmLocalOptions>) {
    checkBackendOptions('mm-local', [], options);
    return new MmLocalBackend(machine);
  },
});
