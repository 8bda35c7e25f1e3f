import type { Pfn, SimThread, Va } from '@khva/memory-core';

/** What one reader saw when its check passed under the read lock. */
export interface ReaderView {
  readonly pfn: Pfn;
  readonly khva: Va;
}

/**
 * The readers inside a cache's read-side section and what each saw (invariant 7), in the order
 * they entered. A few readers at a time, entered and left once per access: kept in parallel
 * arrays that never shrink (a count says how many are in), so an access makes no view object
 * and no map entry (a Map emptied on every access reallocates its table); a view object is made
 * only when a checker asks.
 */
export class ReaderViews implements Iterable<[SimThread, ReaderView]> {
  readonly #threads: Array<SimThread | null> = [];
  readonly #pfns: Pfn[] = [];
  readonly #khvas: Va[] = [];
  #n = 0;

  get size(): number {
    return this.#n;
  }

  #indexOf(t: SimThread): number {
    for (let i = 0; i < this.#n; i++) if (this.#threads[i] === t) return i;
    return -1;
  }

  /** Reader t saw (pfn, khva): replaces what it saw before, keeping its place. */
  enter(t: SimThread, pfn: Pfn, khva: Va): void {
    let i = this.#indexOf(t);
    if (i < 0) {
      i = this.#n++;
      this.#threads[i] = t;
    }
    this.#pfns[i] = pfn;
    this.#khvas[i] = khva;
  }

  /** Reader t left (nothing when it was not there); the others keep their order. */
  leave(t: SimThread): void {
    const i = this.#indexOf(t);
    if (i < 0) return;
    const n = --this.#n;
    for (let j = i; j < n; j++) {
      this.#threads[j] = this.#threads[j + 1]!;
      this.#pfns[j] = this.#pfns[j + 1]!;
      this.#khvas[j] = this.#khvas[j + 1]!;
    }
    this.#threads[n] = null;
  }

  get(t: SimThread): ReaderView | undefined {
    const i = this.#indexOf(t);
    return i < 0 ? undefined : { pfn: this.#pfns[i]!, khva: this.#khvas[i]! };
  }

  has(t: SimThread): boolean {
    return this.#indexOf(t) >= 0;
  }

  *[Symbol.iterator](): Generator<[SimThread, ReaderView]> {
    for (let i = 0; i < this.#n; i++) {
      yield [this.#threads[i]!, { pfn: this.#pfns[i]!, khva: this.#khvas[i]! }];
    }
  }
}
