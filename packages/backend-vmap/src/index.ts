import type { Vm } from '@khva/kvm';
import {
  type Cpu,
  type ExecContext,
  ExhaustedError,
  type Machine,
  ModelUsageError,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  type Va,
} from '@khva/memory-core';
import {
  type BackendFactory,
  type BackendTraits,
  defineBackend,
  type MapContext,
  type MappingBackend,
  type MapResult,
} from '@khva/pfncache';

export interface VmapOptions {
  /** Replace lazy_max_pages() (pages of lazily freed VA before a purge), e.g. for fast tests. */
  readonly lazyMaxPagesOverride?: number;
}

export const vmapTraits: BackendTraits = {
  kind: 'global',
  usableFromIrq: true,
  usableFromForeignMm: true,
  mayRefuseRam: false,
  needsReachGuard: false,
  lazyFlush: true,
};

/** 32 MiB worth of pages: lazy_max_pages() per fls() step. */
export const LAZY_PAGES_PER_STEP = (32 * 1024 * 1024) / PAGE_SIZE;

/** fls(): the 1-based index of the most significant set bit (0 for 0). */
export function fls(x: number): number {
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`fls: expected a non-negative integer, got ${x}`);
  return x === 0 ? 0 : Math.floor(Math.log2(x)) + 1;
}

// Models lazy_max_pages(): differs: the CPU count is an argument, not num_online_cpus().
export function lazyMaxPages(onlineCpus: number): number {
  return fls(onlineCpus) * LAZY_PAGES_PER_STEP;
}

/** A vmap area: [start, end) includes the guard page; only the first page has a PTE. */
interface VmapArea {
  readonly start: Va;
  readonly end: Va;
  readonly pfn: Pfn;
}

export interface VmapStats {
  /** Lazily freed pages (guard pages included) waiting for a purge: vmap_lazy_nr. */
  readonly lazyPages: number;
  /** Purges done (each one flush_tlb_kernel_range). */
  readonly purges: number;
  /** vmap() calls that mapped an area (a page absent from the direct map). */
  readonly areasMapped: number;
  /** Areas mapped now. */
  readonly areasLive: number;
  /** Areas unmapped but waiting on the purge list (their VA is not reusable yet). */
  readonly areasLazy: number;
  /** Maps answered with page_address() (the page is in the direct map). */
  readonly pageAddressMaps: number;
  /** The threshold in force. */
  readonly lazyMaxPages: number;
  /** Areas and span (pages) of the last purge, and whether it became a full flush (1) or not (0). */
  readonly lastPurgeAreas: number;
  readonly lastPurgePages: number;
  readonly lastPurgeFullFlush: number;
  /** vmap() calls that failed for lack of VA even after a purge. */
  readonly mapFailures: number;
}

class VmapBackend implements MappingBackend {
  readonly name = 'vmap';
  readonly traits = vmapTraits;
  private readonly busy = new Map<Va, VmapArea>();
  private readonly purgeList: VmapArea[] = [];
  private lazyNr = 0;
  private purges = 0;
  private areasMapped = 0;
  private pageAddressMaps = 0;
  private mapFailures = 0;
  private lastPurge = { areas: 0, pages: 0, full: false };

  constructor(
    private readonly machine: Machine,
    private readonly options: VmapOptions,
  ) {
    const o = options.lazyMaxPagesOverride;
    if (o !== undefined && (!Number.isInteger(o) || o < 0)) {
      throw new ModelUsageError(`vmap.lazyMaxPagesOverride: must be an integer >= 0, got ${o}`);
    }
  }

  private lazyMax(): number {
    return this.options.lazyMaxPagesOverride ?? lazyMaxPages(this.machine.onlineCpus.length);
  }

  // Models gpc_map() of RFC v2/v3 (AS_NO_DIRECT_MAP page: vmap of 1 page, else kmap): differs: no memremap branch.
  map(mc: MapContext, pfn: Pfn): MapResult {
    const m = this.machine;
    if (!m.mem.isRam(pfn)) return { ok: false, errno: 'EFAULT', reason: `pfn ${pfn} is not RAM` };
    if (m.mem.get(pfn)?.noDirectMap) return this.vmap(mc.ctx.cpu, pfn);
    this.pageAddressMaps++;
    return { ok: true, khva: m.pageAddress(pfn) };
  }

  // Models vmap() of one page (VA + guard page, purge-and-retry once, one PTE): differs: no vm_struct, no node pools.
  private vmap(cpu: Cpu, pfn: Pfn): MapResult {
    const m = this.machine;
    const size = 2 * PAGE_SIZE;
    let start: Va;
    try {
      start = m.vmalloc.alloc(size);
    } catch (e) {
      if (!(e instanceof ExhaustedError)) throw e;
      this.purgeVmapAreaLazy(cpu);
      try {
        start = m.vmalloc.alloc(size);
      } catch (e2) {
        if (!(e2 instanceof ExhaustedError)) throw e2;
        this.mapFailures++;
        return { ok: false, errno: 'ENOMEM', reason: `vmap: ${e2.message}` };
      }
    }
    m.ledger.charge('vmapVaAlloc');
    m.mapGlobal(start, pfn);
    m.ledger.charge('vmapPteSet');
    this.busy.set(start, { start, end: start + size, pfn });
    this.areasMapped++;
    return { ok: true, khva: start };
  }

  // Models gpc_unmap() of the seed series (is_vmalloc_addr -> vunmap, else kunmap): differs: kunmap is a no-op.
  unmap(mc: MapContext, khva: Va, _pfn: Pfn): void {
    if (regionOf(khva) === 'vmalloc') this.vunmap(mc.ctx.cpu, khva);
  }

  // Models vunmap() via free_unmap_vmap_area() (PTE cleared, no flush): differs: an unknown address throws, no WARN.
  private vunmap(cpu: Cpu, khva: Va): void {
    const area = this.busy.get(khva);
    if (!area) throw new ModelUsageError(`vunmap: no vmap area at ${khva.toString(16)}`);
    this.busy.delete(khva);
    this.machine.unmapGlobal(area.start);
    this.machine.ledger.charge('vunmapPage');
    this.freeVmapAreaNoflush(cpu, area);
  }

  // Models free_vmap_area_noflush(): differs: the purge runs at once here; the kernel schedules drain_vmap_work.
  private freeVmapAreaNoflush(cpu: Cpu, area: VmapArea): void {
    this.lazyNr += (area.end - area.start) / PAGE_SIZE;
    this.purgeList.push(area);
    if (this.lazyNr > this.lazyMax()) this.purgeVmapAreaLazy(cpu);
  }

  // Models __purge_vmap_area_lazy() (one flush over the union, then free the VA): differs: one node, no helpers.
  private purgeVmapAreaLazy(cpu: Cpu): void {
    if (this.purgeList.length === 0) return;
    const m = this.machine;
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    let pages = 0;
    for (const a of this.purgeList) {
      start = Math.min(start, a.start);
      end = Math.max(end, a.end);
      pages += (a.end - a.start) / PAGE_SIZE;
    }
    const { fullFlush } = m.flushTlbKernelRange(cpu, start, end);
    for (const a of this.purgeList) {
      m.ledger.charge('purgeVmapArea');
      m.vmalloc.free(a.start, a.end - a.start);
    }
    this.lastPurge = { areas: this.purgeList.length, pages: (end - start) / PAGE_SIZE, full: fullFlush };
    this.purgeList.length = 0;
    this.lazyNr -= pages;
    this.purges++;
  }

  // Models purge_vmap_area_lazy() as vm_unmap_aliases() forces it: differs: no vmap-block (vm_map_ram) aliases.
  purge(initiator: Cpu): void {
    this.purgeVmapAreaLazy(initiator);
  }

  /** Global mapping: usable from ctx exactly when that CPU translates khva (PTE, or a stale TLB entry). */
  reachable(ctx: ExecContext, _vm: Vm, khva: Va): boolean {
    return this.machine.translate(ctx.cpu, khva) !== null;
  }

  stats(): VmapStats & Readonly<Record<string, number>> {
    return {
      lazyPages: this.lazyNr,
      purges: this.purges,
      areasMapped: this.areasMapped,
      areasLive: this.busy.size,
      areasLazy: this.purgeList.length,
      pageAddressMaps: this.pageAddressMaps,
      lazyMaxPages: this.lazyMax(),
      lastPurgeAreas: this.lastPurge.areas,
      lastPurgePages: this.lastPurge.pages,
      lastPurgeFullFlush: this.lastPurge.full ? 1 : 0,
      mapFailures: this.mapFailures,
    };
  }
}

/**
 * `vmap`: the seed patch as RFC v2/v3 does it. A page absent from the direct map (its folio's
 * mapping is AS_NO_DIRECT_MAP) is vmap()ed alone, with a guard page, in the global vmalloc
 * range; other pages keep page_address(). vunmap() clears the PTE and leaves the TLB flush to
 * the lazy purge: until it runs, other CPUs may still translate the old address.
 */
export const vmapBackend: BackendFactory<VmapOptions> = defineBackend<VmapOptions>({
  name: 'vmap',
  summary: 'seed patch: vmap() a page absent from the direct map (page_address otherwise); lazy vunmap purge',
  traits: vmapTraits,
  defaults: {},
  create(machine, options) {
    return new VmapBackend(machine, { ...options });
  },
});
