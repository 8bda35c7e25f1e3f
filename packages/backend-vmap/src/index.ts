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
import {
  type Cpu,
  type ExecContext,
  ExhaustedError,
  LazyPurgeList,
  lazyMaxPages,
  type Machine,
  ModelUsageError,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  type Va,
} from '@khva/memory-core';

export interface VmapOptions {
  /** Replace lazy_max_pages() (pages of lazily freed VA before a purge), e.g. for fast tests. */
  readonly lazyMaxPagesOverride?: number;
}

export const vmapTraits: BackendTraits = globalTraits({ lazyFlush: true });

// lazy_max_pages() and the lazy-free list are the machine's (mm/vmalloc.c), shared with ioremap.
export { fls, LAZY_PAGES_PER_LOG as LAZY_PAGES_PER_STEP, lazyMaxPages } from '@khva/memory-core';

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
  private readonly lazy: LazyPurgeList;
  private areasMapped = 0;
  private pageAddressMaps = 0;
  private mapFailures = 0;

  constructor(
    private readonly machine: Machine,
    private readonly options: VmapOptions,
  ) {
    const o = options.lazyMaxPagesOverride;
    if (o !== undefined && (!Number.isInteger(o) || o < 0)) {
      throw new ModelUsageError(`vmap.lazyMaxPagesOverride: must be an integer >= 0, got ${o}`);
    }
    this.lazy = new LazyPurgeList({
      maxPages: () => this.lazyMax(),
      flush: (cpu, start, end) => machine.flushTlbKernelRange(cpu, start, end).ipis,
      release: (area) => {
        machine.ledger.charge('purgeVmapArea');
        machine.vmalloc.free(area.va, area.bytes);
      },
    });
  }

  private lazyMax(): number {
    return this.options.lazyMaxPagesOverride ?? lazyMaxPages(this.machine.onlineCount);
  }

  // Models gpc_map() per kernel.series: RFC v2/v3 vmap()s one page whose folio->mapping is
  // AS_NO_DIRECT_MAP, else kmap(); RFC v1 decides per memslot (kvm_slot_no_direct_map(gpc->memslot),
  // so an hva cache always gets kmap()); mainline always kmap(). Differs: no memremap branch.
  map(mc: MapContext, pfn: Pfn): MapResult {
    const m = this.machine;
    if (!m.mem.isRam(pfn)) return { ok: false, errno: 'EFAULT', reason: `pfn ${pfn} is not RAM` };
    if (this.needsVmap(mc, pfn)) return this.vmap(mc.ctx.cpu, pfn);
    this.pageAddressMaps++;
    return { ok: true, khva: m.pageAddress(pfn) };
  }

  // The series' choice between vmap() and kmap(). RFC v2/v3 read compound_head(page)->mapping and
  // test it with mapping_no_direct_map() unmasked: for an anon folio that pointer is an anon_vma
  // tagged with FOLIO_MAPPING_ANON, read as an address_space (finding 3; reported to the gpc unless
  // kernel.gpcMapMasksAnon). The model then takes the flag as clear, i.e. kmap().
  private needsVmap(mc: MapContext, pfn: Pfn): boolean {
    // A context without a kernel (a backend driven alone) gets RFC v3 with the fix.
    const kernel = mc.vm.kernel ?? { series: 'rfc-v3', gpcMapMasksAnon: true };
    const frame = this.machine.mem.get(pfn);
    switch (kernel.series) {
      case 'mainline':
        return false;
      case 'rfc-v1':
        return mc.slotNoDirectMap === true;
      case 'rfc-v3':
        if (frame?.anon) {
          if (!kernel.gpcMapMasksAnon) mc.report?.('raw-anon-mapping', `pfn ${pfn} is anon`);
          return false;
        }
        return frame?.noDirectMap === true;
    }
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
    this.lazy.add(cpu, { va: area.start, bytes: area.end - area.start });
  }

  // Models __purge_vmap_area_lazy() (one flush over the union, then free the VA): differs: one node, no helpers.
  private purgeVmapAreaLazy(cpu: Cpu): void {
    this.lazy.purge(cpu);
  }

  // Models purge_vmap_area_lazy() as vm_unmap_aliases() forces it: differs: no vmap-block (vm_map_ram) aliases.
  purge(initiator: Cpu): void {
    this.purgeVmapAreaLazy(initiator);
  }

  /** Global mapping: usable from ctx exactly when that CPU translates khva (PTE, or a stale TLB entry). */
  reachable(ctx: ExecContext, _vm: BackendVm, khva: Va): boolean {
    return this.machine.translate(ctx.cpu, khva) !== null;
  }

  stats(): VmapStats & Readonly<Record<string, number>> {
    return {
      lazyPages: this.lazy.stats.lazyPages,
      purges: this.lazy.stats.purges,
      areasMapped: this.areasMapped,
      areasLive: this.busy.size,
      areasLazy: this.lazy.stats.lazyAreas,
      pageAddressMaps: this.pageAddressMaps,
      lazyMaxPages: this.lazyMax(),
      lastPurgeAreas: this.lazy.last.areas,
      lastPurgePages: this.lazy.last.spanPages,
      lastPurgeFullFlush: this.lazy.last.spanPages > this.machine.singlePageFlushCeiling ? 1 : 0,
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
    checkBackendOptions('vmap', ['lazyMaxPagesOverride'], options);
    return new VmapBackend(machine, { ...options });
  },
});
