import {
  type BackendTraits,
  type BackendVm,
  globalTraits,
  type MapContext,
  type MappingBackend,
  type MapResult,
} from '@khva/backend-api';
import {
  directMapPfn,
  type ExecContext,
  FREE,
  type Machine,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  type Va,
} from '@khva/memory-core';

export const restoreTraits: BackendTraits = globalTraits();

/** Counters of one restore backend instance (what `stats()` returns). */
export interface RestoreStats {
  /** map() calls. */
  maps: number;
  /** Pages that were in the direct map anyway: page_address(), nothing tracked. */
  passthrough: number;
  /** Direct-map PTEs put back (first holder of an absent page). */
  restores: number;
  /** Extra holders of a page already restored by this backend (no work). */
  sharedHolds: number;
  /** Direct-map PTEs removed again when the last holder let go (each with a global flush). */
  removals: number;
  /** IPIs those removals' flush_tlb_kernel_range() sent. */
  removalIpis: number;
  /** Last holder let go of a page freed (or reused) meanwhile: left alone, the free path owns it. */
  skippedFreed: number;
  /** Pages held right now. */
  held: number;
}

/** A page whose direct-map PTE this backend put back, the caches holding it, and its life. */
interface Hold {
  holders: number;
  /** Frame generation at restore: a different one means the page was freed while held. */
  readonly gen: number;
}

/**
 * The earlier approach the seed mentions: put the direct-map PTE of a page back while a cache
 * holds it, and take it out again, with a global flush, when the last holder lets go. The khva is
 * page_address(), a global address like the direct map's.
 */
export class RestoreBackend implements MappingBackend {
  readonly name = 'restore';
  readonly traits = restoreTraits;
  private readonly holds = new Map<Pfn, Hold>();
  private readonly counters = {
    maps: 0,
    passthrough: 0,
    restores: 0,
    sharedHolds: 0,
    removals: 0,
    removalIpis: 0,
    skippedFreed: 0,
  };

  constructor(readonly machine: Machine) {}

  // Models the dropped direct-map restore approach, set_direct_map_default_noflush(): differs: per-pfn refcount assumed.
  map(_mc: MapContext, pfn: Pfn): MapResult {
    // The first holder of a page absent from the direct map restores it (no flush needed).
    const m = this.machine;
    this.counters.maps++;
    const hold = this.holds.get(pfn);
    if (hold) {
      hold.holders++;
      this.counters.sharedHolds++;
    } else if (m.directMap.isPresent(pfn)) {
      this.counters.passthrough++;
    } else {
      m.restoreToDirectMap(pfn);
      this.holds.set(pfn, { holders: 1, gen: m.mem.get(pfn)?.gen ?? 0 });
      this.counters.restores++;
    }
    return { ok: true, khva: m.pageAddress(pfn) };
  }

  // Models set_direct_map_invalid_noflush() + flush_tlb_kernel_range() at last release: differs: skips pages freed meanwhile.
  unmap(mc: MapContext, khva: Va, pfn: Pfn): void {
    // A page freed while held is left alone: its free path restored it for its next user.
    const hold = this.holds.get(pfn);
    if (!hold || regionOf(khva) !== 'direct-map') return;
    if (--hold.holders > 0) return;
    this.holds.delete(pfn);
    const m = this.machine;
    const frame = m.mem.get(pfn);
    if (!frame || frame.owner === FREE || frame.gen !== hold.gen || !frame.noDirectMap) {
      this.counters.skippedFreed++;
      return;
    }
    m.removeFromDirectMap(pfn);
    const va = m.pageAddress(pfn);
    this.counters.removalIpis += m.flushTlbKernelRange(mc.ctx.cpu, va, va + PAGE_SIZE).ipis;
    this.counters.removals++;
  }

  /** page_address() is global: usable everywhere while the direct-map PTE is present. */
  reachable(_ctx: ExecContext, _vm: BackendVm, khva: Va): boolean {
    return regionOf(khva) === 'direct-map' && this.machine.directMap.isPresent(directMapPfn(khva));
  }

  /** Holders of a page (0 if this backend does not hold it). */
  holders(pfn: Pfn): number {
    return this.holds.get(pfn)?.holders ?? 0;
  }

  stats(): Readonly<Record<string, number>> {
    const s: RestoreStats = { ...this.counters, held: this.holds.size };
    return { ...s };
  }
}
