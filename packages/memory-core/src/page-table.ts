import type { Pfn } from './layout.ts';
import type { CostLedger } from './ledger.ts';
import type { PageChanges } from './page-changes.ts';

export interface Pte {
  readonly pfn: Pfn;
  /** Frame generation when the PTE was set (a later free makes this PTE dangle). */
  readonly gen: number;
  /** Identity of the frame's content when the PTE was set (see Frame.ident). */
  readonly ident?: string;
}

/**
 * A sparse 4-level page table over one address range: leaf PTEs by virtual page number, and
 * the page-table pages that hold them counted per level (PTE page per 2 MiB, PMD page per
 * 1 GiB, PUD page per 512 GiB). Tables are kept once allocated, as vmalloc does; a per-mm
 * table gives them back when the mm is torn down.
 */
export class PageTable {
  private readonly ptes = new Map<number, Pte>();
  private readonly tables = [new Set<number>(), new Set<number>(), new Set<number>()];
  /** The PTE page the last set() found present: the next set in the same 2 MiB needs no walk down. */
  private lastPtePage = -1;
  /** Told of every leaf PTE set or cleared, while someone watches (Machine.watchPageChanges). */
  changes: PageChanges | null = null;

  constructor(
    readonly name: string,
    readonly ledger: CostLedger,
  ) {}

  get(vpn: number): Pte | undefined {
    return this.ptes.get(vpn);
  }

  get size(): number {
    return this.ptes.size;
  }

  get tablePages(): number {
    return this.tables[0]!.size + this.tables[1]!.size + this.tables[2]!.size;
  }

  /** Set a leaf PTE, allocating missing table pages. Returns the previous PTE if any. */
  // Models set_pte_at() with pte_alloc()/pmd_alloc() on the way down; differs: no locks, no huge leaves.
  set(vpn: number, pte: Pte): Pte | undefined {
    // Table pages are only freed all at once (destroy), so a PTE page seen present stays present.
    if (Math.floor(vpn / 512) !== this.lastPtePage) this.allocTables(vpn);
    const prev = this.ptes.get(vpn);
    this.ptes.set(vpn, pte);
    this.changes?.page(vpn);
    return prev;
  }

  private allocTables(vpn: number): void {
    let idx = vpn;
    for (const level of this.tables) {
      idx = Math.floor(idx / 512);
      if (!level.has(idx)) {
        level.add(idx);
        this.ledger.charge('ptePageAlloc');
        this.ledger.addPageTablePages(1);
      }
    }
    this.lastPtePage = Math.floor(vpn / 512);
  }

  // Models ptep_get_and_clear(): the PTE goes, TLBs are left to the caller's flush.
  clear(vpn: number): Pte | undefined {
    const prev = this.ptes.get(vpn);
    if (prev) {
      this.ptes.delete(vpn);
      this.changes?.page(vpn);
    }
    return prev;
  }

  entries(): IterableIterator<[number, Pte]> {
    return this.ptes.entries();
  }

  /** Free every table page (mm teardown). Returns the leaf PTEs that were still set. */
  destroy(): Array<[number, Pte]> {
    const left = [...this.ptes.entries()];
    if (this.changes !== null) for (const [vpn] of left) this.changes.page(vpn);
    this.ptes.clear();
    const pages = this.tablePages;
    for (const level of this.tables) level.clear();
    this.lastPtePage = -1;
    this.ledger.addPageTablePages(-pages);
    return left;
  }
}
