import { describe, expect, it } from 'vitest';
import { LockHolders } from '../src/index.ts';

describe('LockHolders (the readers of an rwlock)', () => {
  it('is a set: a second add of the same holder is one holder, and delete answers whether it was there', () => {
    const h = new LockHolders<string>();
    h.add('a').add('a');
    expect(h.size).toBe(1);
    expect(h.has('a')).toBe(true);
    expect(h.delete('a')).toBe(true);
    expect(h.delete('a')).toBe(false);
    expect(h.has('a')).toBe(false);
    expect(h.size).toBe(0);
  });

  it('keeps the others in the order they came when one from the middle leaves', () => {
    const h = new LockHolders<string>();
    for (const t of ['a', 'b', 'c', 'd']) h.add(t);
    h.delete('b');
    expect([...h]).toEqual(['a', 'c', 'd']);
    h.add('b');
    h.delete('a');
    expect([...h]).toEqual(['c', 'd', 'b']);
    h.clear();
    expect([...h]).toEqual([]);
    expect(h.size).toBe(0);
  });

  it('stays correct under add/delete churn of one holder among others', () => {
    const h = new LockHolders<number>();
    h.add(1).add(2);
    for (let i = 0; i < 1000; i++) {
      h.add(3);
      expect(h.size).toBe(3);
      expect(h.delete(3)).toBe(true);
    }
    expect([...h]).toEqual([1, 2]);
  });
});
