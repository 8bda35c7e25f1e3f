import { describe, expect, it } from 'vitest';
import { GpcList, type InvalidationSubscriber } from '../src/index.ts';

const sub = (): InvalidationSubscriber => ({
  *invalidateStart() {
    return false;
  },
});

describe('GpcList (kvm->gpc_list)', () => {
  it('hands out its members in list order, the same array until the list changes', () => {
    const list = new GpcList();
    const [a, b, c] = [sub(), sub(), sub()];
    list.add(a).add(b);
    const first = list.snapshot();
    expect(first).toEqual([a, b]);
    expect(list.snapshot()).toBe(first);
    list.add(a);
    expect(list.snapshot()).toBe(first);
    list.add(c);
    expect(list.snapshot()).toEqual([a, b, c]);
    expect(list.delete(sub())).toBe(false);
    expect(list.delete(b)).toBe(true);
    expect(list.snapshot()).toEqual([a, c]);
    list.clear();
    expect(list.snapshot()).toEqual([]);
    expect(list.size).toBe(0);
  });

  it('leaves a snapshot taken before a change as it was (a walk goes on over the members it began with)', () => {
    const list = new GpcList();
    const [a, b] = [sub(), sub()];
    list.add(a).add(b);
    const during = list.snapshot();
    list.delete(a);
    list.add(sub());
    expect(during).toEqual([a, b]);
    expect(list.snapshot()).not.toBe(during);
    expect(list.snapshot()[0]).toBe(b);
  });
});
