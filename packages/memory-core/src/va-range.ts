import { ExhaustedError, ModelUsageError } from './errors.ts';
import { PAGE_SIZE, type Va } from './layout.ts';
import type { CostLedger } from './ledger.ts';

interface Hole {
  start: Va;
  end: Va;
}

/**
 * A virtual-address allocator over one kernel range (vmalloc space, an mm-local region):
 * lowest-address first fit, as alloc_vmap_area does, with exhaustion as a real error.
 */
export class VaRange {
  private holes: Hole[];
  private inUse = 0;

  constructor(
    readonly name: string,
    readonly start: Va,
    readonly size: number,
    readonly ledger: CostLedger | null,
  ) {
    this.holes = [{ start, end: start + size }];
  }

  get bytesInUse(): number {
    return this.inUse;
  }

  /** The whole range goes at once (its owner died): every allocation is released. */
  releaseAll(): void {
    this.ledger?.addVaBytes(-this.inUse);
    this.inUse = 0;
    this.holes = [{ start: this.start, end: this.start + this.size }];
  }

  // Models alloc_vmap_area(): lowest-address first fit; differs: one list, no per-node pools or size classes.
  alloc(bytes: number): Va {
    if (bytes <= 0 || bytes % PAGE_SIZE !== 0) throw new ModelUsageError(`${this.name}: bad size ${bytes}`);
    const i = this.holes.findIndex((h) => h.end - h.start >= bytes);
    if (i < 0) {
      throw new ExhaustedError(
        this.name,
        `${this.name}: allocation of ${bytes} bytes failed: address space exhausted (${this.inUse} bytes in use)`,
      );
    }
    const hole = this.holes[i]!;
    const va = hole.start;
    hole.start += bytes;
    if (hole.start === hole.end) this.holes.splice(i, 1);
    this.inUse += bytes;
    this.ledger?.addVaBytes(bytes);
    return va;
  }

  // Models free_vmap_area() merging into the free tree; differs: immediate (lazy purging is LazyPurgeList's).
  free(va: Va, bytes: number): void {
    if (va < this.start || va + bytes > this.start + this.size) {
      throw new ModelUsageError(`${this.name}: free outside the range`);
    }
    let i = 0;
    while (i < this.holes.length && this.holes[i]!.start < va) i++;
    const prev = this.holes[i - 1];
    const next = this.holes[i];
    if ((prev && prev.end > va) || (next && next.start < va + bytes)) {
      throw new ModelUsageError(`${this.name}: double free of ${va.toString(16)}`);
    }
    if (prev && prev.end === va) {
      prev.end += bytes;
      if (next && next.start === prev.end) {
        prev.end = next.end;
        this.holes.splice(i, 1);
      }
    } else if (next && next.start === va + bytes) {
      next.start = va;
    } else {
      this.holes.splice(i, 0, { start: va, end: va + bytes });
    }
    this.inUse -= bytes;
    this.ledger?.addVaBytes(-bytes);
  }
}
