// The zone's page allocator by migratetype: pageblocks of 512 pages, each with a migratetype,
// buddy free lists kept per migratetype, per-CPU page lists (pcp) per migratetype in front of
// them, and the fallback that lets one migratetype take pages from another by stealing
// pageblocks. Only order-0 pages are allocated in the model, so the buddy below a pageblock is
// kept as single free pages plus one untouched run per pageblock (no coalescing below it).
import { ModelUsageError } from './errors.ts';
import type { Pfn } from './layout.ts';

/** MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RECLAIMABLE (the kernel's enum order). */
export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
export type MigrateType = typeof MIGRATE_UNMOVABLE | typeof MIGRATE_MOVABLE | typeof MIGRATE_RECLAIMABLE;
/** The migratetypes the per-CPU lists keep (MIGRATE_PCPTYPES). */
const PCPTYPES = 3;
export const MIGRATETYPE_NAMES = ['unmovable', 'movable', 'reclaimable'] as const;

/** pageblock_order 9 on x86-64: 2 MiB of 4 KiB pages. */
export const PAGEBLOCK_PAGES = 512;
/** Claim the whole pageblock when at least half its pages are free or alike (1 << (pageblock_order - 1)). */
const CLAIM_THRESHOLD = PAGEBLOCK_PAGES / 2;
/** MIGRATE_TYPES with CMA and memory isolation built in: below this many pageblocks, grouping is off. */
const MIGRATE_TYPES_CONFIGURED = 6;

/** fallbacks[]: which free lists a migratetype falls back to, in order, once its own are empty. */
export const FALLBACKS: Readonly<Record<MigrateType, readonly MigrateType[]>> = {
  [MIGRATE_UNMOVABLE]: [MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE],
  [MIGRATE_MOVABLE]: [MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE],
  [MIGRATE_RECLAIMABLE]: [MIGRATE_UNMOVABLE, MIGRATE_MOVABLE],
};

interface Pageblock {
  readonly start: Pfn;
  readonly end: Pfn;
  /** The pageblock's migratetype (what a page freed in it goes back as). */
  type: MigrateType;
  /** Pages of the block on a buddy free list, by the list they are on. */
  readonly freeOn: [number, number, number];
  /** Pages handed out to a user (not free, not on a pcp list). */
  inUse: number;
  /** [untouched, end): never split off yet, one free run on the list of `untouchedType`. */
  untouched: Pfn;
  untouchedType: MigrateType;
}

interface PerCpuPages {
  /** pcp->lists[order_to_pindex(mt, 0)]: the head (next handed out) is the array's end. */
  readonly lists: [Pfn[], Pfn[], Pfn[]];
  count: number;
}

/** What the allocator did (read by tests and the scenario trace). */
export interface PageAllocStats {
  /** __rmqueue_fallback calls that found a page of another migratetype. */
  fallbacks: number;
  /** Pageblocks whose migratetype a fallback changed (claimed). */
  claimed: number;
  /** free_pcppages_bulk calls (a pcp list over its high mark). */
  pcpDrains: number;
}

// zone_batchsize(): a quarter of the zone's pages / 1024, capped at 1 MiB of pages, then rounded
// to 2^n - 1 (63 for any zone of 1 GiB or more); at least 1.
export function zoneBatchsize(managedPages: number): number {
  let batch = Math.min(Math.floor(managedPages / 1024), 256);
  batch = Math.max(1, Math.floor(batch / 4));
  batch = 2 ** Math.floor(Math.log2(batch + Math.floor(batch / 2))) - 1;
  return Math.max(1, batch);
}

/**
 * One zone's free memory. Pages beyond `end` (memory other users hold) are never handed out;
 * pageblocks nobody has touched are free MIGRATE_MOVABLE blocks, as memmap_init leaves them.
 */
export class PageAllocator {
  readonly batch: number;
  /** pcp->high: free beyond it and the pcp list gives `batch` pages back (6 x batch, as pageset_set_batch set it). */
  readonly high: number;
  /** page_group_by_mobility_disabled: too few pageblocks to group, every page is unmovable. */
  readonly mobilityDisabled: boolean;
  readonly stats: PageAllocStats = { fallbacks: 0, claimed: 0, pcpDrains: 0 };
  private readonly blocks = new Map<number, Pageblock>();
  /** Single free pages on the buddy lists: pfn -> the list it is on (stacks below are checked against it). */
  private readonly freeSingle = new Map<Pfn, MigrateType>();
  private readonly singles: [Pfn[], Pfn[], Pfn[]] = [[], [], []];
  /** Blocks whose untouched run is on a migratetype's list (stale entries are skipped). */
  private readonly runs: [Pageblock[], Pageblock[], Pageblock[]] = [[], [], []];
  private readonly pcps = new Map<number, PerCpuPages>();
  private nextFreshBlock: number;
  private readonly endBlock: number;

  constructor(
    readonly start: Pfn,
    readonly end: Pfn,
    /** Pages the zone manages (sizes batch and decides mobility grouping at boot). */
    managedPages: number = end - start,
  ) {
    if (end <= start) throw new ModelUsageError('page allocator: no free memory');
    this.nextFreshBlock = Math.floor(start / PAGEBLOCK_PAGES);
    this.endBlock = Math.ceil(end / PAGEBLOCK_PAGES);
    this.batch = zoneBatchsize(managedPages);
    this.high = 6 * this.batch;
    this.mobilityDisabled = managedPages < PAGEBLOCK_PAGES * MIGRATE_TYPES_CONFIGURED;
  }

  /** gfp_migratetype(): with grouping off, every request is unmovable. */
  requestType(mt: MigrateType): MigrateType {
    return this.mobilityDisabled ? MIGRATE_UNMOVABLE : mt;
  }

  /** get_pfnblock_migratetype(). */
  blockType(pfn: Pfn): MigrateType {
    return this.blocks.get(Math.floor(pfn / PAGEBLOCK_PAGES))?.type ?? MIGRATE_MOVABLE;
  }

  // Models rmqueue_pcplist(): the CPU's list for the migratetype, refilled with `batch` pages by
  // rmqueue_bulk() when empty (the refill keeps physical order). No trylock failure, no order > 0.
  allocPage(cpu: number, mt: MigrateType): Pfn | null {
    const type = this.requestType(mt);
    const list = this.pcp(cpu).lists[type];
    if (list.length === 0) {
      const bulk: Pfn[] = [];
      for (let i = 0; i < this.batch; i++) {
        const pfn = this.rmqueue(type);
        if (pfn === null) break;
        bulk.push(pfn);
      }
      if (bulk.length === 0) return null;
      for (let i = bulk.length - 1; i >= 0; i--) list.push(bulk[i]!);
      this.pcp(cpu).count += bulk.length;
    }
    const pfn = list.pop()!;
    this.pcp(cpu).count--;
    this.block(pfn).inUse++;
    return pfn;
  }

  // Models free_unref_page(): onto the freeing CPU's list of the page's pageblock migratetype
  // (looked up now), at the head; over pcp->high, free_pcppages_bulk() gives `batch` back
  // (no free_factor scaling).
  freePage(cpu: number, pfn: Pfn): void {
    const b = this.block(pfn);
    b.inUse--;
    const mt = b.type;
    const pcp = this.pcp(cpu);
    pcp.lists[mt].push(pfn);
    pcp.count++;
    if (pcp.count >= this.high) this.freePcppagesBulk(pcp, this.batch, mt);
  }

  // Models drain_all_pages(): every CPU's lists back to the buddy (done before giving up on memory).
  drainAllPages(): void {
    for (const pcp of this.pcps.values()) this.freePcppagesBulk(pcp, pcp.count, MIGRATE_UNMOVABLE);
  }

  /** Pages on `cpu`'s pcp list of migratetype `mt`, next handed out first (for tests and traces). */
  pcpList(cpu: number, mt: MigrateType): readonly Pfn[] {
    return [...(this.pcps.get(cpu)?.lists[mt] ?? [])].reverse();
  }

  // Models free_pcppages_bulk(): from the list just freed to first, then the others in turn,
  // each drained from its tail (oldest) onto the buddy list of the migratetype cached at free time.
  private freePcppagesBulk(pcp: PerCpuPages, count: number, first: MigrateType): void {
    this.stats.pcpDrains++;
    let left = Math.min(count, pcp.count);
    for (let k = 0; left > 0 && k < PCPTYPES; k++) {
      const mt = ((first + k) % PCPTYPES) as MigrateType;
      const list = pcp.lists[mt];
      const n = Math.min(left, list.length);
      for (const pfn of list.splice(0, n)) this.freeOne(pfn, mt);
      left -= n;
      pcp.count -= n;
    }
  }

  // Models __free_one_page() for order 0: onto the list's head; no merging below the pageblock.
  private freeOne(pfn: Pfn, mt: MigrateType): void {
    this.freeSingle.set(pfn, mt);
    this.singles[mt].push(pfn);
    this.block(pfn).freeOn[mt]++;
  }

  // Models __rmqueue(): the smallest free page of the migratetype, else a fallback that moves
  // pages of another migratetype onto its lists, then the smallest again. No CMA, no highatomic.
  private rmqueue(mt: MigrateType): Pfn | null {
    for (;;) {
      const pfn = this.rmqueueSmallest(mt);
      if (pfn !== null) return pfn;
      if (!this.rmqueueFallback(mt)) return null;
    }
  }

  // Models __rmqueue_smallest(): single free pages first (order 0), then the lowest page of an
  // untouched run (expand() hands a split block out in physical order), then a fresh pageblock
  // (boot leaves every pageblock movable, so only movable requests take one here).
  private rmqueueSmallest(mt: MigrateType): Pfn | null {
    const stack = this.singles[mt];
    while (stack.length > 0) {
      const pfn = stack.pop()!;
      if (this.freeSingle.get(pfn) !== mt) continue;
      this.freeSingle.delete(pfn);
      this.block(pfn).freeOn[mt]--;
      return pfn;
    }
    const runs = this.runs[mt];
    while (runs.length > 0) {
      const b = runs[0]!;
      if (b.untouchedType === mt && b.untouched < b.end) {
        b.freeOn[mt]--;
        return b.untouched++;
      }
      runs.shift();
    }
    if (mt === MIGRATE_MOVABLE && this.nextFreshBlock < this.endBlock) {
      this.materialize(this.nextFreshBlock++);
      return this.rmqueueSmallest(mt);
    }
    return null;
  }

  // Models __rmqueue_fallback() + steal_suitable_fallback(): the largest free chunk among the
  // fallback migratetypes (a fresh pageblock, then a wholly free one, then the pageblock with the
  // most free pages of that type), all of whose free pages an unmovable request moves to its own
  // lists, claiming the pageblock when half of it is free or alike; a movable request takes a
  // whole free pageblock, else one page of the smallest chunk. Differs: a fresh order-10 chunk is
  // two pageblocks in the kernel, here one; "largest" is counted in free pages, not buddy order;
  // every page in use counts as on an LRU (anon and guest_memfd folios both are); no watermark boost.
  private rmqueueFallback(mt: MigrateType): boolean {
    const order = FALLBACKS[mt];
    let best: Pageblock | null = null;
    let bestType: MigrateType = MIGRATE_MOVABLE;
    let whole = false;
    if (order.includes(MIGRATE_MOVABLE) && this.nextFreshBlock < this.endBlock) {
      best = this.materialize(this.nextFreshBlock++);
      whole = true;
    }
    for (const f of order) {
      if (best) break;
      for (const b of this.blocks.values()) {
        if (b.freeOn[f] > 0 && free(b) === b.end - b.start && b.type === f) {
          best = b;
          bestType = f;
          whole = true;
          break;
        }
      }
    }
    if (!best) {
      // The largest chunk for an unmovable or reclaimable request; the smallest for a movable one.
      const movable = mt === MIGRATE_MOVABLE;
      for (const f of order) {
        for (const b of this.blocks.values()) {
          const n = b.freeOn[f];
          if (n === 0) continue;
          const better = best === null || (movable ? n < best.freeOn[bestType] : n > best.freeOn[bestType]);
          if (better) {
            best = b;
            bestType = f;
          }
        }
      }
    }
    if (!best) return false;
    this.stats.fallbacks++;
    if (whole) {
      if (best.type !== mt) this.stats.claimed++;
      best.type = mt;
      this.moveFreepagesBlock(best, mt);
    } else if (mt === MIGRATE_MOVABLE) {
      this.moveOnePage(best, bestType, mt);
    } else {
      const oldType = best.type;
      const freePages = this.moveFreepagesBlock(best, mt);
      const alike = oldType === MIGRATE_MOVABLE ? best.end - best.start - freePages - best.inUse : 0;
      if (freePages + alike >= CLAIM_THRESHOLD && best.type !== mt) {
        best.type = mt;
        this.stats.claimed++;
      }
    }
    return true;
  }

  // Models move_freepages_block(): every free page of the block onto `mt`'s lists (at the tail).
  private moveFreepagesBlock(b: Pageblock, mt: MigrateType): number {
    for (let pfn = b.start; pfn < b.untouched; pfn++) {
      const on = this.freeSingle.get(pfn);
      if (on === undefined || on === mt) continue;
      this.freeSingle.set(pfn, mt);
      this.singles[mt].unshift(pfn);
      b.freeOn[on]--;
      b.freeOn[mt]++;
    }
    if (b.untouched < b.end && b.untouchedType !== mt) {
      const n = b.end - b.untouched;
      b.freeOn[b.untouchedType] -= n;
      b.freeOn[mt] += n;
      b.untouchedType = mt;
      this.runs[mt].push(b);
    }
    return free(b);
  }

  /** One free page of type `from` in the block onto `mt`'s list (the kernel moves its whole buddy chunk). */
  private moveOnePage(b: Pageblock, from: MigrateType, mt: MigrateType): void {
    for (let pfn = b.start; pfn < b.untouched; pfn++) {
      if (this.freeSingle.get(pfn) !== from) continue;
      this.freeSingle.set(pfn, mt);
      this.singles[mt].push(pfn);
      b.freeOn[from]--;
      b.freeOn[mt]++;
      return;
    }
    // No single page: split the lowest page off the untouched run.
    const pfn = b.untouched++;
    b.freeOn[from]--;
    this.freeOne(pfn, mt);
  }

  private materialize(index: number): Pageblock {
    const start = Math.max(index * PAGEBLOCK_PAGES, this.start);
    const end = Math.min((index + 1) * PAGEBLOCK_PAGES, this.end);
    const b: Pageblock = {
      start,
      end,
      type: MIGRATE_MOVABLE,
      freeOn: [0, end - start, 0],
      inUse: 0,
      untouched: start,
      untouchedType: MIGRATE_MOVABLE,
    };
    this.blocks.set(index, b);
    this.runs[MIGRATE_MOVABLE].push(b);
    return b;
  }

  private block(pfn: Pfn): Pageblock {
    const b = this.blocks.get(Math.floor(pfn / PAGEBLOCK_PAGES));
    if (!b) throw new ModelUsageError(`pfn ${pfn} is not in a pageblock the allocator handed out`);
    return b;
  }

  private pcp(cpu: number): PerCpuPages {
    let p = this.pcps.get(cpu);
    if (!p) {
      p = { lists: [[], [], []], count: 0 };
      this.pcps.set(cpu, p);
    }
    return p;
  }
}

function free(b: Pageblock): number {
  return b.freeOn[0] + b.freeOn[1] + b.freeOn[2];
}
