import { describe, expect, it } from 'vitest';
import { Prng } from '../src/index.ts';

describe('Prng.skip', () => {
  it('leaves the generator where the same number of next() calls would, for any count', () => {
    for (const n of [0, 1, 2, 7, 960, 4096, 2 ** 20]) {
      const stepped = new Prng(7);
      for (let i = 0; i < n; i++) stepped.next();
      const skipped = new Prng(7);
      skipped.skip(n);
      expect([skipped.next(), skipped.int(1000)]).toEqual([stepped.next(), stepped.int(1000)]);
    }
  });

  it('refuses a count that is not a whole number in range', () => {
    expect(() => new Prng(1).skip(-1)).toThrow(/skip: n must be an integer/);
    expect(() => new Prng(1).skip(1.5)).toThrow(RangeError);
  });
});
