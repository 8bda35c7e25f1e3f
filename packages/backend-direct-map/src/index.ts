import {
  type BackendFactory,
  type BackendTraits,
  type BackendVm,
  checkBackendOptions,
  defineBackend,
  globalTraits,
  type MapContext,
  type MappingBackend,
  type MapResult,
} from '@khva/backend-api';
import type { ExecContext, Machine, Pfn, Va } from '@khva/memory-core';

/** direct-map takes no options. */
export type DirectMapOptions = Record<string, never>;

export const directMapTraits: BackendTraits = globalTraits();

/** Counters for reports: how often the backend handed out an address that cannot work. */
export interface DirectMapStats {
  readonly maps: number;
  readonly unmaps: number;
  /** Maps of a page whose direct-map PTE was gone: the khva oopses on first use. */
  readonly deadAddresses: number;
}

class DirectMapBackend implements MappingBackend {
  readonly name = 'direct-map';
  readonly traits = directMapTraits;
  private maps = 0;
  private unmaps = 0;
  private deadAddresses = 0;

  constructor(readonly machine: Machine) {}

  // Models gpc_map() before the seed's patch 2 (kmap = page_address on x86-64): differs: charges no cycles.
  map(_mc: MapContext, pfn: Pfn): MapResult {
    const m = this.machine;
    if (!m.mem.isRam(pfn)) {
      return { ok: false, errno: 'EFAULT', reason: `pfn ${pfn} is not RAM (the kernel would memremap it)` };
    }
    this.maps++;
    if (!m.directMap.isPresent(pfn)) this.deadAddresses++;
    return { ok: true, khva: m.pageAddress(pfn) };
  }

  // Models gpc_unmap() for a kmap()ed RAM page: differs: none, kunmap() is a no-op on x86-64.
  unmap(_mc: MapContext, _khva: Va, _pfn: Pfn): void {
    this.unmaps++;
  }

  /** The direct-map alias works from a CPU exactly when that CPU translates it (PTE present, or a stale TLB entry). */
  reachable(ctx: ExecContext, _vm: BackendVm, khva: Va): boolean {
    return this.machine.translate(ctx.cpu, khva) !== null;
  }

  stats(): DirectMapStats & Readonly<Record<string, number>> {
    return { maps: this.maps, unmaps: this.unmaps, deadAddresses: this.deadAddresses };
  }
}

/**
 * `direct-map`: khva = page_address(pfn), the kernel before the seed's vmap patch. Free, and
 * reachable from every mm and context; for a page removed from the direct map
 * (guest_memfd NO_DIRECT_MAP) the address has no translation and oopses on first use anywhere.
 */
export const directMapBackend: BackendFactory<DirectMapOptions> = defineBackend<DirectMapOptions>({
  name: 'direct-map',
  summary: 'khva = page_address(pfn): free; oopses on a page removed from the direct map',
  traits: directMapTraits,
  defaults: {},
  create(machine, options) {
    checkBackendOptions('direct-map', [], options);
    return new DirectMapBackend(machine);
  },
});
