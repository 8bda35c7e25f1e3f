import type { AccessRecord } from './mmu.ts';

/**
 * Oopses (or failed user accesses) of a machine: an exact count, the first `limit` records for
 * reports and tests, and a ring of the latest `limit` for readers that ask "what happened since
 * I last looked". Memory stays bounded however many events a long run makes.
 */
export class AccessLog {
  /** Every record so far, counted; `records` and the ring keep at most `limit` each. */
  count = 0;
  /** The first `limit` records, in order. */
  readonly records: AccessRecord[] = [];
  /** Records past the first `limit`: record i at i % limit (the latest `limit` of them). */
  private readonly ring: AccessRecord[] = [];

  constructor(readonly limit: number) {}

  add(rec: AccessRecord): void {
    const i = this.count++;
    if (i < this.limit) this.records.push(rec);
    else this.ring[i % this.limit] = rec;
  }

  /** Records from the `from`-th on (0-based count), as far as still kept, in order. */
  since(from: number): AccessRecord[] {
    const out: AccessRecord[] = [];
    const first = Math.max(from, this.count - this.limit, 0);
    for (let i = first; i < this.count; i++) {
      const rec = i < this.limit ? this.records[i] : this.ring[i % this.limit];
      if (rec) out.push(rec);
    }
    return out;
  }
}
