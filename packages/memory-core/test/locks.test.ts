import { describe, expect, it } from 'vitest';
import {
  ModelUsageError,
  Mutex,
  RwLock,
  Scheduler,
  type SimThread,
  type ThreadBody,
  type ThreadKind,
} from '../src/index.ts';
import { machine } from './helpers.ts';

function setup(...names: Array<[string, ThreadKind]>): { s: Scheduler; t: SimThread[]; log: string[] } {
  const m = machine(2);
  const s = new Scheduler(m, 1);
  const t = names.map(([name, kind], i) => s.spawn({ name, kind, cpu: i % 2, mm: null }));
  return { s, t, log: [] };
}

describe('RwLock (rwlock_t)', () => {
  it('lets a writer exclude readers: a blocked reader is not runnable until the writer unlocks', () => {
    const { s, t, log } = setup(['writer', 'kthread'], ['reader', 'kthread']);
    const [w, r] = t as [SimThread, SimThread];
    const lock = new RwLock('gpc->lock');
    w.start(
      (function* (): ThreadBody<void> {
        yield* lock.writeLock(w);
        log.push('w:locked');
        yield { kind: 'preempt' };
        lock.writeUnlock(w);
        log.push('w:unlocked');
        yield { kind: 'preempt' };
      })(),
    );
    r.start(
      (function* (): ThreadBody<void> {
        yield* lock.readLock(r);
        log.push(`r:locked writer=${lock.writer?.name ?? 'none'}`);
        lock.readUnlock(r);
      })(),
    );
    s.step(w);
    expect(lock.writer).toBe(w);
    s.step(r);
    expect(r.lastYield).toMatchObject({ kind: 'blocked', label: 'gpc->lock:read' });
    expect(r.runnable).toBe(false);
    expect(s.runnable()).toEqual([w]);
    expect(() => s.step(r)).toThrow(/not runnable/);
    s.step(w);
    expect(r.runnable).toBe(true);
    s.runRandom();
    expect(log).toEqual(['w:locked', 'w:unlocked', 'r:locked writer=none']);
  });

  it('shares among readers and blocks a writer until the last reader leaves', () => {
    const { s, t } = setup(['r1', 'kthread'], ['r2', 'kthread'], ['w', 'kthread']);
    const [r1, r2, w] = t as [SimThread, SimThread, SimThread];
    const lock = new RwLock('l');
    expect(lock.tryRead(r1)).toBe(true);
    expect(lock.tryRead(r2)).toBe(true);
    expect(lock.tryWrite(w)).toBe(false);
    w.start(
      (function* (): ThreadBody<void> {
        yield* lock.writeLock(w);
      })(),
    );
    s.step(w);
    expect(w.runnable).toBe(false);
    lock.readUnlock(r1);
    expect(w.runnable).toBe(false);
    lock.readUnlock(r2);
    expect(w.runnable).toBe(true);
    s.step(w);
    expect(w.done).toBe(true);
    expect(lock.writer).toBe(w);
    expect(lock.tryRead(r1)).toBe(false);
  });

  it('raises the holder to atomic context and restores its mode on unlock', () => {
    const { t } = setup(['p', 'vcpu'], ['irq', 'irq']);
    const [p, irq] = t as [SimThread, SimThread];
    const lock = new RwLock('l');
    expect(p.mode).toBe('process');
    lock.tryRead(p);
    expect(p.mode).toBe('atomic');
    expect(p.ctx.mode).toBe('atomic');
    lock.readUnlock(p);
    expect(p.mode).toBe('process');
    lock.tryWrite(p);
    expect(p.mode).toBe('atomic');
    lock.writeUnlock(p);
    expect(p.mode).toBe('process');
    // Hard-IRQ context stays hard-IRQ.
    lock.tryRead(irq);
    expect(irq.mode).toBe('irq');
    lock.readUnlock(irq);
    expect(irq.mode).toBe('irq');
  });

  it('stays atomic until the last spinlock goes, whatever the unlock order', () => {
    const { t } = setup(['p', 'vcpu']);
    const p = t[0]!;
    const a = new RwLock('a');
    const b = new RwLock('b');
    a.tryRead(p);
    b.tryRead(p);
    a.readUnlock(p);
    expect(p.mode).toBe('atomic');
    b.readUnlock(p);
    expect(p.mode).toBe('process');
  });

  it('rejects unlocking a lock the thread does not hold', () => {
    const { t } = setup(['a', 'kthread'], ['b', 'kthread']);
    const [a, b] = t as [SimThread, SimThread];
    const lock = new RwLock('l');
    expect(() => lock.readUnlock(a)).toThrow(/does not hold it for read/);
    lock.tryWrite(a);
    expect(() => lock.writeUnlock(b)).toThrow(/does not hold it for write/);
  });
});

describe('Mutex (struct mutex)', () => {
  it('excludes a second locker, which blocks (not runnable) until the owner unlocks', () => {
    const { s, t, log } = setup(['a', 'host'], ['b', 'host']);
    const [a, b] = t as [SimThread, SimThread];
    const mu = new Mutex('refresh_lock');
    const body = (me: SimThread): ThreadBody<void> =>
      (function* () {
        yield* mu.lock(me);
        log.push(`${me.name}:in`);
        yield { kind: 'sleep' };
        log.push(`${me.name}:out`);
        mu.unlock(me);
      })();
    a.start(body(a));
    b.start(body(b));
    s.step(a);
    s.step(b);
    expect(mu.owner).toBe(a);
    expect(b.lastYield).toMatchObject({ kind: 'blocked', label: 'refresh_lock' });
    expect(b.runnable).toBe(false);
    s.step(a);
    expect(mu.owner).toBeNull();
    expect(b.runnable).toBe(true);
    s.runRandom();
    expect(log).toEqual(['a:in', 'a:out', 'b:in', 'b:out']);
  });

  it('throws when taken in atomic or IRQ context (sleeping in atomic)', () => {
    const { s, t } = setup(['p', 'vcpu'], ['irq', 'irq']);
    const [p, irq] = t as [SimThread, SimThread];
    const mu = new Mutex('refresh_lock');
    const spin = new RwLock('gpc->lock');
    p.start(
      (function* (): ThreadBody<void> {
        yield* spin.readLock(p);
        yield* mu.lock(p);
      })(),
    );
    let err: unknown;
    try {
      s.step(p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelUsageError);
    expect((err as Error).message).toMatch(/refresh_lock: mutex taken by p in atomic context/);
    irq.start(
      (function* (): ThreadBody<void> {
        yield* mu.lock(irq);
      })(),
    );
    expect(() => s.step(irq)).toThrow(/in irq context/);
    expect(mu.owner).toBeNull();
  });

  it('rejects an unlock by a thread that does not own it', () => {
    const { t } = setup(['a', 'host'], ['b', 'host']);
    const [a, b] = t as [SimThread, SimThread];
    const mu = new Mutex('m');
    const g = mu.lock(a);
    expect(g.next().done).toBe(true);
    expect(() => mu.unlock(b)).toThrow(/unlocked by b, not its owner/);
    mu.unlock(a);
    expect(() => mu.unlock(a)).toThrow(ModelUsageError);
  });
});
