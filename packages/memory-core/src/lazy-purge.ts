import type { Cpu } from './cpu.ts';
import { PAGE_SIZE, type Va } from './layout.ts';

/** Pages per online-CPU "order" in lazy_max_pages(): 32 MiB worth of base pages. */
export const LAZY_PAGES_PER_LOG = (32 * 1024 * 1024) / PAGE_SIZE;

/** fls(): position of the most significant set bit, 1-based (fls(0) = 0, fls(1) = 1, fls(64) = 7). */
export function fls(n: number): number {
  return n <= 0 ? 0 : 32 - Math.clz32(n);
}

// Models lazy_max_pages() (mm/vmalloc.c): fls(online CPUs) x 32 MiB of pages; differs: the CPU count is an argument.
export function lazyMaxPages(onlineCpus: number): number {
  return fls(onlineCpus) * LAZY_PAGES_PER_LOG;
}

/** One unmapped area waiting for the purge: its VA (guard page included) is not reusable yet. */
export interface LazyArea {
  readonly va: Va;
  readonly bytes: number;
}

/** What a purge does with the areas it collects: the flush it issues and how each VA is released. */
export interface LazyPurgeHooks {
  /** The threshold in pages (lazy_max_pages() for the current CPU count). */
  maxPages(): number;
  /** One TLB flush over [start, end), issued from initiator; returns the IPIs it sent. */
  flush(initiator: Cpu, start: Va, end: Va): number;
  /** Give one area's VA back to its allocator (after the flush). */
  release(area: LazyArea): void;
}

/** Figures of one purge list, for backend stats. */
export interface LazyPurgeStats {
  /** Pages (guard pages included) waiting for the next purge. */
  readonly lazyPages: number;
  /** Areas waiting for the next purge. */
  readonly lazyAreas: number;
  /** Purges run (each one flush). */
  readonly purges: number;
  /** Areas released by purges. */
  readonly areasPurged: number;
  /** IPIs the purges' flushes sent. */
  readonly purgeIpis: number;
}

/** The last purge: how many areas it released and the span (pages) its one flush covered. */
export interface LastPurge {
  readonly areas: number;
  readonly spanPages: number;
}

/**
 * The vmalloc lazy-free list (used by vmap/ioremap in the global range and by per-mm regions): unmapped areas wait, still holding their VA, until the pages
 * waiting exceed lazy_max_pages(); then one flush over the union of their ranges makes every
 * stale translation go, and only then are the VAs reusable.
 */
export class LazyPurgeList {
  private areas: LazyArea[] = [];
  private pages = 0;
  private purgeCount = 0;
  private purgedAreas = 0;
  private ipis = 0;
  last: LastPurge = { areas: 0, spanPages: 0 };

  constructor(private readonly hooks: LazyPurgeHooks) {}

  get stats(): LazyPurgeStats {
    return {
      lazyPages: this.pages,
      lazyAreas: this.areas.length,
      purges: this.purgeCount,
      areasPurged: this.purgedAreas,
      purgeIpis: this.ipis,
    };
  }

  get pending(): number {
    return this.areas.length;
  }

  // Models free_vmap_area_noflush(): differs: the purge runs at once on the freeing CPU, not from drain_vmap_work.
  add(initiator: Cpu, area: LazyArea): boolean {
    // The area's pages (guard included) join the lazy count; past lazy_max_pages() it purges.
    this.areas.push(area);
    this.pages += area.bytes / PAGE_SIZE;
    if (this.pages > this.hooks.maxPages()) {
      this.purge(initiator);
      return true;
    }
    return false;
  }

  // Models __purge_vmap_area_lazy(): differs: no per-node pools or resched points; the whole list goes at once.
  purge(initiator: Cpu): number {
    // One flush over [lowest start, highest end) of the queued areas, then their VAs are free.
    if (this.areas.length === 0) return 0;
    let start = Number.POSITIVE_INFINITY;
    let end = 0;
    for (const a of this.areas) {
      start = Math.min(start, a.va);
      end = Math.max(end, a.va + a.bytes);
    }
    const ipis = this.hooks.flush(initiator, start, end);
    const taken = this.areas;
    this.areas = [];
    this.pages = 0;
    for (const a of taken) this.hooks.release(a);
    this.purgeCount++;
    this.purgedAreas += taken.length;
    this.ipis += ipis;
    this.last = { areas: taken.length, spanPages: (end - start) / PAGE_SIZE };
    return taken.length;
  }
}
