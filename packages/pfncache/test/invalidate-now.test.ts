import { runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { run, world } from './support/world.ts';

const GPA = 0x1000;

/** A world with an active, valid cache and the hva range [lo, hi) of its page. */
function active() {
  const w = world({ gmemInvalidation: true });
  run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
  const lo = w.gpc.uhva - (w.gpc.uhva % 4096);
  return { w, lo, hi: lo + 4096 };
}

describe('invalidateStartNow: the invalidation walk without a generator per cache', () => {
  it('a range that misses the cache: answers at once, leaves it valid and the lock and mode as they were', () => {
    const { w, hi } = active();
    expect(w.gpc.invalidateStartNow(w.vmm, hi, hi + 4096)).toBe(false);
    expect(w.gpc.valid).toBe(true);
    expect(w.gpc.lock.readers.size).toBe(0);
    expect(w.gpc.lock.writer).toBeNull();
    expect(w.vmm.mode).toBe('process');
  });

  it('a range that misses while another thread reads under the lock: answers false at once, the reader kept', () => {
    const { w, hi } = active();
    expect(w.gpc.lock.tryRead(w.other)).toBe(true);
    expect(w.gpc.invalidateStartNow(w.vmm, hi, hi + 4096)).toBe(false);
    expect([...w.gpc.lock.readers]).toEqual([w.other]);
    expect(w.gpc.valid).toBe(true);
    expect(w.vmm.mode).toBe('process');
    w.gpc.lock.readUnlock(w.other);
  });

  it('a range that hits, no lock held: answers true at once and the cache is invalid, as the generator leaves it', () => {
    const a = active();
    const b = active();
    expect(a.w.gpc.invalidateStartNow(a.w.vmm, a.lo, a.hi)).toBe(true);
    expect(runAlone(b.w.gpc.invalidateStart(b.w.vmm, b.lo, b.hi))).toBe(true);
    for (const { w } of [a, b]) {
      expect(w.gpc.valid).toBe(false);
      expect(w.gpc.active).toBe(true);
      expect(w.gpc.lock.writer).toBeNull();
      expect(w.vmm.mode).toBe('process');
    }
  });

  it('a hit while another thread reads under the lock: hands back a body that waits for the reader', () => {
    const { w, lo, hi } = active();
    expect(w.gpc.lock.tryRead(w.other)).toBe(true);
    const now = w.gpc.invalidateStartNow(w.vmm, lo, hi);
    expect(typeof now).not.toBe('boolean');
    const body = now as Exclude<typeof now, boolean>;
    const y = body.next();
    expect(y.done).toBe(false);
    expect(y.value).toMatchObject({ kind: 'blocked' });
    expect(w.gpc.valid).toBe(true);
    w.gpc.lock.readUnlock(w.other);
    expect(body.next()).toEqual({ done: true, value: true });
    expect(w.gpc.valid).toBe(false);
  });

  it('while a writer holds the lock: hands back the whole walk step as a body (nothing read yet)', () => {
    const { w, lo, hi } = active();
    expect(w.gpc.lock.tryWrite(w.other)).toBe(true);
    const now = w.gpc.invalidateStartNow(w.vmm, lo, hi);
    expect(typeof now).not.toBe('boolean');
    expect(w.gpc.lock.readers.size).toBe(0);
    w.gpc.lock.writeUnlock(w.other);
    expect(runAlone(now as Exclude<typeof now, boolean>)).toBe(true);
    expect(w.gpc.valid).toBe(false);
  });
});
