import type { BackendTraits, BackendVm, MapContext, MappingBackend, MapResult } from '@khva/backend-api';
import {
  type Cpu,
  directMapPfn,
  type ExecContext,
  ExhaustedError,
  type LazyArea,
  LazyPurgeList,
  lazyMaxPages,
  type Machine,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  type Va,
} from '@khva/memory-core';

/** Which memremap this is: today's kernel, or the relaxation the seed series rejected. */
export type MemremapMode = 'strict' | 'relaxed';

export interface MemremapStrictOptions {
  /**
   * Teach try_ram_remap() to decline a page absent from the direct map (and change nothing
   * else): the fallback ioremap then refuses the System RAM page and the map fails (-EFAULT).
   * Off (the default): today's kernel, which hands back the dead direct-map address.
   */
  readonly skipAbsent: boolean;
}

export interface MemremapRelaxedOptions {
  /**
   * iounmap purges the vmap area at once, with a kernel-range flush to every CPU, as kernels
   * that called set_iounmap_nonlazy() did. Off (the default): lazy, like vunmap.
   */
  readonly nonLazyIounmap: boolean;
}

/** Counters of one memremap backend instance (what `stats()` returns). */
export interface MemremapStats {
  /** memremap() calls. */
  maps: number;
  /** Addresses handed out by try_ram_remap() (the page's direct-map alias). */
  directMapAddresses: number;
  /** Of those, addresses whose direct-map PTE was absent: they oops on first use. */
  deadAddresses: number;
  /** Pages try_ram_remap() declined because they are absent from the direct map. */
  declinedAbsent: number;
  /** ioremap refused a System RAM page ("ioremap on RAM", WARN_ONCE: printed once, counted each time). */
  ramRefusedWarnings: number;
  /** Maps that failed (refusal, VA exhaustion, not RAM). */
  mapFailures: number;
  /** ioremap mappings made / unmapped. */
  ioremaps: number;
  iounmaps: number;
  /** memunmap() of a direct-map address: nothing to undo. */
  memunmapNoops: number;
  /** iounmap() of an address that is not one of ours ("iounmap: bad address"). */
  badIounmaps: number;
  lazyPages: number;
  lazyAreas: number;
  purges: number;
  areasPurged: number;
  purgeIpis: number;
}

/** An ioremap mapping of one page: its VA (with a guard page) and the page it maps. */
interface IoremapArea {
  readonly pfn: Pfn;
  readonly bytes: number;
}

/** A vmap area is the mapped page plus one guard page (VM_IOREMAP areas are not VM_NO_GUARD). */
const AREA_BYTES = 2 * PAGE_SIZE;

/**
 * memremap(pfn, PAGE_SIZE, MEMREMAP_WB) / memunmap() as the gpc's mapping backend, in two modes:
 * strict is today's kernel/iomem.c + x86 ioremap; relaxed lets a page absent from the direct map
 * go through the ioremap path into the vmalloc area, unmapped lazily like vunmap.
 */
export class MemremapBackend implements MappingBackend {
  readonly name: string;
  private readonly counters = {
    maps: 0,
    directMapAddresses: 0,
    deadAddresses: 0,
    declinedAbsent: 0,
    ramRefusedWarnings: 0,
    mapFailures: 0,
    ioremaps: 0,
    iounmaps: 0,
    memunmapNoops: 0,
    badIounmaps: 0,
  };
  private readonly areas = new Map<Va, IoremapArea>();
  private readonly lazy: LazyPurgeList;

  constructor(
    readonly machine: Machine,
    readonly mode: MemremapMode,
    readonly traits: BackendTraits,
    readonly options: { readonly skipAbsent: boolean; readonly nonLazyIounmap: boolean },
  ) {
    this.name = mode === 'strict' ? 'memremap-strict' : 'memremap-relaxed';
    this.lazy = new LazyPurgeList({
      maxPages: () => lazyMaxPages(machine.onlineCount),
      flush: (initiator, start, end) => machine.flushTlbKernelRange(initiator, start, end).ipis,
      release: (a: LazyArea) => {
        machine.ledger.charge('purgeVmapArea');
        machine.vmalloc.free(a.va, a.bytes);
      },
    });
  }

  /** try_ram_remap() declines pages absent from the direct map (strict+skipAbsent, relaxed). */
  private get declinesAbsent(): boolean {
    return this.mode === 'relaxed' || this.options.skipAbsent;
  }

  // Models memremap(phys, PAGE_SIZE, MEMREMAP_WB) (kernel/iomem.c): differs: one page; non-RAM (MMIO) pfns fail.
  map(mc: MapContext, pfn: Pfn): MapResult {
    // One region_intersects() lookup, try_ram_remap(), then arch_memremap_wb() if it declined.
    const m = this.machine;
    this.counters.maps++;
    m.ledger.charge('regionIntersects');
    if (!m.mem.isRam(pfn)) {
      return this.fail('EFAULT', `pfn ${pfn} is not System RAM (MMIO memremap is not modelled)`);
    }
    const direct = this.tryRamRemap(pfn);
    if (direct !== null) return { ok: true, khva: direct };
    return this.ioremapCache(mc.ctx, pfn);
  }

  // Models try_ram_remap(): differs: relaxed mode and skipAbsent decline a page absent from the direct map.
  private tryRamRemap(pfn: Pfn): Va | null {
    // pfn_valid() and not highmem (always, on x86-64) gives __va(), present in the direct map or not.
    const m = this.machine;
    const present = m.directMap.isPresent(pfn);
    if (!present && this.declinesAbsent) {
      this.counters.declinedAbsent++;
      return null;
    }
    this.counters.directMapAddresses++;
    if (!present) this.counters.deadAddresses++;
    return m.pageAddress(pfn);
  }

  // Models arch_memremap_wb() -> x86 __ioremap_caller(): differs: relaxed lets RAM absent from the direct map through.
  private ioremapCache(ctx: ExecContext, pfn: Pfn): MapResult {
    // walk_system_ram_range() refuses System RAM (WARN_ONCE); else memtype_reserve(),
    // get_vm_area_caller() (VA + guard page; one retry after a lazy purge) and ioremap_page_range().
    const m = this.machine;
    m.ledger.charge('regionIntersects');
    // Guest pages are never PageReserved: the RAM check sees them as System RAM in use.
    const allowed = this.mode === 'relaxed' && !m.directMap.isPresent(pfn);
    if (!allowed) {
      this.counters.ramRefusedWarnings++;
      const phys = (pfn * PAGE_SIZE).toString(16);
      return this.fail('EFAULT', `ioremap on RAM at 0x${phys}: refused (System RAM is not ioremapped)`);
    }
    m.ledger.charge('memtypeReserve');
    m.ledger.charge('vmapVaAlloc');
    const va = this.allocArea(ctx.cpu);
    if (va === null) {
      m.ledger.charge('memtypeFree');
      return this.fail('ENOMEM', `ioremap: vmalloc space exhausted (${m.vmalloc.bytesInUse} bytes in use)`);
    }
    m.ledger.charge('ioremapPteSet');
    m.mapGlobal(va, pfn);
    this.areas.set(va, { pfn, bytes: AREA_BYTES });
    this.counters.ioremaps++;
    return { ok: true, khva: va };
  }

  private allocArea(initiator: Cpu): Va | null {
    const m = this.machine;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return m.vmalloc.alloc(AREA_BYTES);
      } catch (e) {
        if (!(e instanceof ExhaustedError) || attempt > 0 || this.lazy.pending === 0) break;
        this.lazy.purge(initiator);
      }
    }
    return null;
  }

  // Models memunmap(): same: only an ioremap address (is_ioremap_addr) is unmapped; a direct-map alias needs nothing.
  unmap(mc: MapContext, khva: Va, _pfn: Pfn): void {
    if (regionOf(khva) !== 'vmalloc') {
      this.counters.memunmapNoops++;
      return;
    }
    this.iounmap(mc.ctx.cpu, khva);
  }

  // Models iounmap() (arch/x86/mm/ioremap.c): differs: nonLazyIounmap purges at once, as set_iounmap_nonlazy() did.
  private iounmap(initiator: Cpu, va: Va): void {
    // memtype_free(), then remove_vm_area(): PTE cleared with no flush, area freed lazily like vunmap.
    const m = this.machine;
    const area = this.areas.get(va);
    if (!area) {
      this.counters.badIounmaps++;
      return;
    }
    this.areas.delete(va);
    m.ledger.charge('memtypeFree');
    m.ledger.charge('iounmapPage');
    m.unmapGlobal(va);
    this.counters.iounmaps++;
    this.lazy.add(initiator, { va, bytes: area.bytes });
    if (this.options.nonLazyIounmap) this.lazy.purge(initiator);
  }

  /**
   * Global mappings are visible from every CPU in every mm and context; a direct-map address is
   * usable only while the page's direct-map PTE is present (strict's dead address is not).
   */
  reachable(_ctx: ExecContext, _vm: BackendVm, khva: Va): boolean {
    if (regionOf(khva) === 'direct-map') return this.machine.directMap.isPresent(directMapPfn(khva));
    return this.areas.has(khva);
  }

  purge(initiator: Cpu): void {
    this.lazy.purge(initiator);
  }

  stats(): Readonly<Record<string, number>> {
    const s: MemremapStats = { ...this.counters, ...this.lazy.stats };
    return { ...s };
  }

  private fail(errno: 'EFAULT' | 'ENOMEM', reason: string): MapResult {
    this.counters.mapFailures++;
    return { ok: false, errno, reason };
  }
}
