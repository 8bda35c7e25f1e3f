import type { BackendTraits, BackendVm, MapContext, MappingBackend, MapResult } from '@khva/backend-api';
import {
  type Cpu,
  type ExecContext,
  ExhaustedError,
  type LazyArea,
  LazyPurgeList,
  type LazyPurgeStats,
  lazyMaxPages,
  type Machine,
  MM_LOCAL_SIZE,
  MM_LOCAL_START,
  type Mm,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  type Va,
  VaRange,
} from '@khva/memory-core';

/** The mm-local mapping area: the lower half of each mm's local region (the upper half is mermap's). */
export const MM_LOCAL_MAP_START: Va = MM_LOCAL_START;
export const MM_LOCAL_MAP_SIZE = MM_LOCAL_SIZE / 2;

/** One mapping is the page plus a guard page, as a vmalloc-like area would have. */
export const MM_LOCAL_AREA_BYTES = 2 * PAGE_SIZE;

export const mmLocalTraits: BackendTraits = {
  kind: 'mm-local',
  usableFromIrq: false,
  usableFromForeignMm: false,
  mayRefuseRam: false,
  needsReachGuard: true,
  lazyFlush: true,
};

/** Counters of one mm-local backend instance (what `stats()` returns). */
export interface MmLocalStats {
  /** map() calls. */
  maps: number;
  /** Pages still in the direct map: page_address(), nothing mapped. */
  directMapAddresses: number;
  /** Pages absent from the direct map: mapped in the VM's mm-local area. */
  localMaps: number;
  /** mm-local mappings unmapped (PTE cleared, VA queued for the per-mm purge). */
  localUnmaps: number;
  /** Maps that failed because the mm's area ran out of VA (after a purge). */
  mapFailures: number;
  /** mms that have an mm-local area. */
  mms: number;
  /** Summed over mms: pages waiting for a purge, purges run, areas purged, IPIs sent. */
  lazyPages: number;
  lazyAreas: number;
  purges: number;
  areasPurged: number;
  purgeIpis: number;
}

/** Per-mm state: the VA allocator of its mm-local area and its lazy-free list. */
interface MmArea {
  readonly mm: Mm;
  readonly va: VaRange;
  readonly lazy: LazyPurgeList;
}

/**
 * A stable one-page mapping of a guest page in the VM's mm-local kernel region (what the seed's
 * reviewers asked for instead of a global vmap): visible wherever the VM's mm is loaded,
 * invisible elsewhere; unmapped lazily per mm, purged with a flush limited to the mm's CPUs.
 */
export class MmLocalBackend implements MappingBackend {
  readonly name = 'mm-local';
  readonly traits = mmLocalTraits;
  private readonly areas = new Map<Mm, MmArea>();
  private readonly counters = {
    maps: 0,
    directMapAddresses: 0,
    localMaps: 0,
    localUnmaps: 0,
    mapFailures: 0,
  };

  constructor(readonly machine: Machine) {
    // The mm-local region lives in the mm's own page tables: it goes when the mm goes.
    machine.onMmTeardown((mm) => {
      this.areas.get(mm)?.va.releaseAll();
      this.areas.delete(mm);
    });
  }

  /** The mm-local area of an mm, created on first use (the region's page tables are per mm). */
  private areaOf(mm: Mm): MmArea {
    let a = this.areas.get(mm);
    if (a) return a;
    const m = this.machine;
    const va = new VaRange(`${mm.name}:mm-local-map`, MM_LOCAL_MAP_START, MM_LOCAL_MAP_SIZE, m.ledger);
    const lazy = new LazyPurgeList({
      // An assumption: the mm-local area reuses vmalloc's threshold, counted per mm.
      maxPages: () => lazyMaxPages(m.onlineCount),
      flush: (initiator, start, end) => m.flushTlbMm(initiator, mm, start, end).ipis,
      release: (area: LazyArea) => {
        m.ledger.charge('purgeVmapArea');
        va.free(area.va, area.bytes);
      },
    });
    a = { mm, va, lazy };
    this.areas.set(mm, a);
    return a;
  }

  // Models the reviewers' mm-local mapping (Jackman's prototype 4290b4ffb35b): differs: no kernel code; allocator assumed.
  map(mc: MapContext, pfn: Pfn): MapResult {
    // page_address() for a page still in the direct map; else a VA (+ guard page) from the VM's
    // mm-local area (first fit, one retry after purging the mm's lazy list) and one PTE.
    const m = this.machine;
    this.counters.maps++;
    if (m.directMap.isPresent(pfn)) {
      this.counters.directMapAddresses++;
      return { ok: true, khva: m.pageAddress(pfn) };
    }
    const mm = mc.vm.mm;
    const area = this.areaOf(mm);
    m.ledger.charge('mmLocalVaAlloc');
    const va = this.allocVa(area, mc.ctx.cpu);
    if (va === null) {
      this.counters.mapFailures++;
      return {
        ok: false,
        errno: 'ENOMEM',
        reason: `${mm.name}: mm-local area exhausted (${area.va.bytesInUse} bytes in use)`,
      };
    }
    m.ledger.charge('mmLocalPteSet');
    m.mapLocal(mm, va, pfn);
    this.counters.localMaps++;
    return { ok: true, khva: va };
  }

  private allocVa(area: MmArea, initiator: Cpu): Va | null {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return area.va.alloc(MM_LOCAL_AREA_BYTES);
      } catch (e) {
        if (!(e instanceof ExhaustedError) || attempt > 0 || area.lazy.pending === 0) break;
        area.lazy.purge(initiator);
      }
    }
    return null;
  }

  // Models the proposal's unmap, shaped like vunmap(): differs: per-mm lazy batching with vmalloc's threshold is assumed.
  unmap(mc: MapContext, khva: Va, _pfn: Pfn): void {
    // PTE cleared with no flush, VA queued; the purge is one flush_tlb_mm_range() (the mm's CPUs only).
    if (regionOf(khva) !== 'mm-local') return;
    const m = this.machine;
    const area = this.areaOf(mc.vm.mm);
    m.ledger.charge('mmLocalUnmap');
    m.unmapLocal(area.mm, khva);
    this.counters.localUnmaps++;
    area.lazy.add(mc.ctx.cpu, { va: khva, bytes: MM_LOCAL_AREA_BYTES });
  }

  /**
   * A direct-map address works everywhere; an mm-local one only on a CPU whose loaded mm is the
   * VM's (whatever runs there: a vCPU, a VMM thread, a kthread borrowing it, an IRQ on top).
   */
  reachable(ctx: ExecContext, vm: BackendVm, khva: Va): boolean {
    if (regionOf(khva) !== 'mm-local') return true;
    return ctx.cpu.loadedMm === vm.mm;
  }

  /** Purge every mm's lazy list now (each with its own mm-targeted flush). */
  purge(initiator: Cpu): void {
    for (const [mm, area] of this.areas) {
      if (mm.alive) area.lazy.purge(initiator);
      else this.areas.delete(mm);
    }
  }

  /** The lazy list of one mm, for inspection. */
  lazyStats(mm: Mm): LazyPurgeStats {
    return this.areaOf(mm).lazy.stats;
  }

  stats(): Readonly<Record<string, number>> {
    const s: MmLocalStats = {
      ...this.counters,
      mms: this.areas.size,
      lazyPages: 0,
      lazyAreas: 0,
      purges: 0,
      areasPurged: 0,
      purgeIpis: 0,
    };
    for (const a of this.areas.values()) {
      const l = a.lazy.stats;
      s.lazyPages += l.lazyPages;
      s.lazyAreas += l.lazyAreas;
      s.purges += l.purges;
      s.areasPurged += l.areasPurged;
      s.purgeIpis += l.purgeIpis;
    }
    return { ...s };
  }
}
