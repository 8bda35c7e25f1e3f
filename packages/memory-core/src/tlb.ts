import type { Pfn } from './layout.ts';
import type { PageChanges } from './page-changes.ts';
import type { TlbDirectory } from './tlb-directory.ts';

/** One cached translation. `asid` 0 = global (kernel G-bit) entry, else the owning mm's id (PCID). */
export interface TlbEntry {
  readonly key: number;
  readonly vpn: number;
  readonly asid: number;
  readonly pfn: Pfn;
  readonly gen: number;
  readonly ident?: string;
  readonly viaDirectMap: boolean;
  /** Oracle scope of a kernel entry (0 global, else mm id); -1 for user entries (not tracked). */
  readonly scope: number;
  /** The PTE this came from was cleared or changed; the entry still translates until flushed. */
  stale: boolean;
}

const ASID_STRIDE = 2 ** 36;
export const tlbKey = (asid: number, vpn: number): number => asid * ASID_STRIDE + vpn;

/**
 * A CPU's TLB: a bounded cache of translations, 4 KiB granular (a simplification: real
 * direct-map entries may cover 2 MiB or 1 GiB), FIFO replacement. Entries survive PTE changes
 * until flushed or evicted; that is what makes stale windows observable.
 */
export class Tlb {
  /** The translations, oldest first. Change them only through insert/remove/removeWhere. */
  readonly entries = new Map<number, TlbEntry>();
  /** Told of every entry that leaves or is replaced, while someone watches (Machine.watchPageChanges). */
  changes: PageChanges | null = null;
  constructor(
    readonly capacity: number,
    /** The machine's reverse index, told of every fill and removal (absent: a TLB on its own). */
    private readonly directory?: { readonly index: TlbDirectory; readonly cpu: number },
  ) {}

  // Models a TLB lookup tagged by PCID (global entries match any); differs: one level, 4 KiB entries only.
  lookup(asid: number, vpn: number): TlbEntry | undefined {
    return this.entries.get(tlbKey(asid, vpn));
  }

  /** Insert; returns the entry evicted to make room, if any. */
  // Models a TLB fill after a page walk; differs: FIFO replacement instead of the hardware's policy.
  insert(entry: TlbEntry): TlbEntry | undefined {
    let evicted: TlbEntry | undefined;
    if (this.entries.size >= this.capacity && !this.entries.has(entry.key)) {
      const first = this.entries.keys().next();
      if (!first.done) {
        evicted = this.entries.get(first.value);
        this.entries.delete(first.value);
        if (evicted) this.forget(evicted);
      }
    }
    if (this.changes !== null && this.entries.has(entry.key)) this.changes.page(entry.vpn);
    this.entries.set(entry.key, entry);
    this.directory?.index.add(entry.asid, entry.vpn, this.directory.cpu);
    return evicted;
  }

  remove(key: number): TlbEntry | undefined {
    const e = this.entries.get(key);
    if (e) {
      this.entries.delete(key);
      this.forget(e);
    }
    return e;
  }

  /** Remove entries matching the predicate; returns them. */
  removeWhere(pred: (e: TlbEntry) => boolean): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (const [k, e] of this.entries) {
      if (pred(e)) {
        out.push(e);
        this.entries.delete(k);
        this.forget(e);
      }
    }
    return out;
  }

  private forget(e: TlbEntry): void {
    this.changes?.page(e.vpn);
    this.directory?.index.remove(e.asid, e.vpn, this.directory.cpu);
  }
}
