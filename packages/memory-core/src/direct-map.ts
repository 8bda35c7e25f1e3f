import { PAGES_PER_1G, PAGES_PER_2M, type Pfn, pageAddress, vpnOf } from './layout.ts';
import type { CostLedger } from './ledger.ts';
import type { PageChanges } from './page-changes.ts';

export type LeafSize = '1G' | '2M' | '4K';

export interface RemoveResult {
  /** The 1 GiB leaf holding the page was split by this removal. */
  split1G: boolean;
  /** The 2 MiB leaf holding the page was split by this removal. */
  split2M: boolean;
}

/**
 * The kernel direct map of all RAM (x86 maps it with 1 GiB leaves where it can at boot).
 * Removing one 4 KiB page splits the leaf that covers it, down to 4 KiB entries, allocating a
 * page-table page per split; restoring never merges the leaf back (x86 CPA does not re-merge).
 */
export class DirectMap {
  /** Told of every page removed or restored, while someone watches (Machine.watchPageChanges). */
  changes: PageChanges | null = null;
  private readonly absent = new Set<Pfn>();
  private readonly split1G = new Set<number>();
  private readonly split2M = new Set<number>();

  constructor(
    readonly totalPages: number,
    readonly ledger: CostLedger,
    readonly bootLeaf: '1G' | '2M' = '1G',
  ) {}

  /** The direct-map alias of pfn translates (RAM and not removed). */
  isPresent(pfn: Pfn): boolean {
    return pfn >= 0 && pfn < this.totalPages && !this.absent.has(pfn);
  }

  get absentPages(): number {
    return this.absent.size;
  }

  leafSize(pfn: Pfn): LeafSize {
    if (this.split2M.has(Math.floor(pfn / PAGES_PER_2M))) return '4K';
    if (this.bootLeaf === '2M' || this.split1G.has(Math.floor(pfn / PAGES_PER_1G))) return '2M';
    return '1G';
  }

  // Models set_direct_map_invalid_noflush() (x86 __change_page_attr_set_clr with splits):
  // the caller decides about the TLB flush, as the kernel's callers do.
  remove(pfn: Pfn): RemoveResult {
    const result: RemoveResult = { split1G: false, split2M: false };
    if (this.absent.has(pfn)) return result;
    const g = Math.floor(pfn / PAGES_PER_1G);
    const m = Math.floor(pfn / PAGES_PER_2M);
    const c = this.ledger.counters;
    if (this.bootLeaf === '1G' && !this.split1G.has(g)) {
      this.split1G.add(g);
      result.split1G = true;
      c.directMapSplits++;
      c.directMapSplits1G++;
      this.ledger.charge('splitDirectMap1G');
      this.ledger.charge('ptePageAlloc');
      this.ledger.addPageTablePages(1);
    }
    if (!this.split2M.has(m)) {
      this.split2M.add(m);
      result.split2M = true;
      c.directMapSplits++;
      c.directMapSplits2M++;
      this.ledger.charge('splitDirectMap2M');
      this.ledger.charge('ptePageAlloc');
      this.ledger.addPageTablePages(1);
    }
    this.absent.add(pfn);
    this.changes?.page(vpnOf(pageAddress(pfn)));
    this.ledger.charge('setDirectMapInvalid');
    return result;
  }

  // Models set_direct_map_default_noflush(): the PTE comes back; the split stays.
  restore(pfn: Pfn): boolean {
    if (!this.absent.delete(pfn)) return false;
    this.changes?.page(vpnOf(pageAddress(pfn)));
    this.ledger.charge('setDirectMapDefault');
    return true;
  }
}
