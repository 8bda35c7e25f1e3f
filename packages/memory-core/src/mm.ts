import { PAGE_SIZE, type Pfn, type Va } from './layout.ts';
import type { CostLedger } from './ledger.ts';
import { PageTable } from './page-table.ts';

/** Result of handling a user page fault: a frame, or the reason there is none. */
export type FaultResult = { pfn: Pfn; gen: number } | { error: 'EFAULT' | 'ENOMEM' | 'EIO'; reason: string };

/** A user mapping (VMA): an address range whose pages come from a fault handler. */
export interface Vma {
  readonly start: Va;
  readonly end: Va;
  readonly name: string;
  /** Pages of this VMA may be pinned/looked up by GUP (false models no-direct-map gmem mappings). */
  readonly gupAllowed: boolean;
  /** Handle a fault at a page-aligned address: allocate or find the page. */
  fault(va: Va): FaultResult;
}

/** An address space (struct mm_struct): user page tables, an mm-local kernel region, a cpumask. */
export class Mm {
  readonly userPt: PageTable;
  readonly localPt: PageTable;
  /** CPUs that may hold TLB entries of this mm (mm_cpumask). */
  readonly cpumask = new Set<number>();
  readonly vmas: Vma[] = [];
  alive = true;

  constructor(
    readonly id: number,
    readonly name: string,
    ledger: CostLedger,
  ) {
    this.userPt = new PageTable(`${name}:user`, ledger);
    this.localPt = new PageTable(`${name}:mm-local`, ledger);
  }

  // Models find_vma() for an address inside a VMA; differs: a linear search, no maple tree.
  findVma(va: Va): Vma | undefined {
    return this.vmas.find((v) => va >= v.start && va < v.end);
  }

  addVma(vma: Vma): void {
    if (vma.start % PAGE_SIZE !== 0 || vma.end % PAGE_SIZE !== 0 || vma.end <= vma.start) {
      throw new RangeError(`${this.name}: VMA ${vma.name} must be page aligned and non-empty`);
    }
    if (this.vmas.some((v) => vma.start < v.end && v.start < vma.end)) {
      throw new RangeError(`${this.name}: VMA ${vma.name} overlaps an existing mapping`);
    }
    this.vmas.push(vma);
    if (this.userPt.changes !== null) this.userPt.changes.everything = true;
  }

  removeVma(vma: Vma): void {
    const i = this.vmas.indexOf(vma);
    if (i >= 0) this.vmas.splice(i, 1);
    if (this.userPt.changes !== null) this.userPt.changes.everything = true;
  }
}
