/** Small seeded PRNG (mulberry32): deterministic schedules and workloads for a seed. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Advance the state as `n` calls of next() would, in O(1) (draws whose values nobody needs). */
  skip(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 20)
      throw new RangeError(`skip: n must be an integer from 0 to 2^20, got ${n}`);
    this.state = (this.state + n * 0x6d2b79f5) >>> 0;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(items.length)] as T;
  }
}
