import { ModelUsageError } from './errors.ts';
import { LockHolders } from './lock-holders.ts';
import type { SimThread, ThreadBody } from './scheduler.ts';

/** A sleeping lock (struct mutex): may only be taken where sleeping is allowed. */
export class Mutex {
  owner: SimThread | null = null;
  constructor(readonly name: string) {}

  // Models mutex_lock(): may sleep (blocked yield); differs: no optimistic spinning or handoff.
  *lock(t: SimThread): ThreadBody<void> {
    if (t.mode !== 'process') {
      throw new ModelUsageError(
        `${this.name}: mutex taken by ${t.name} in ${t.mode} context (sleeping in atomic)`,
      );
    }
    while (this.owner !== null) yield { kind: 'blocked', label: this.name, until: () => this.owner === null };
    this.owner = t;
  }

  unlock(t: SimThread): void {
    if (this.owner !== t) throw new ModelUsageError(`${this.name}: unlocked by ${t.name}, not its owner`);
    this.owner = null;
  }
}

/**
 * A reader-writer spinlock (rwlock_t). Holders spin rather than sleep, so the holder's mode
 * is raised to atomic while it holds the lock (the _irq variants also keep IRQs off).
 */
export class RwLock {
  readonly readers = new LockHolders<SimThread>();
  writer: SimThread | null = null;
  constructor(readonly name: string) {}

  tryRead(t: SimThread): boolean {
    if (this.writer !== null) return false;
    this.readers.add(t);
    this.raise(t);
    return true;
  }

  // Models read_lock()/read_lock_irqsave(): spins (blocked yield) while a writer holds it.
  *readLock(t: SimThread): ThreadBody<void> {
    while (!this.tryRead(t))
      yield { kind: 'blocked', label: `${this.name}:read`, until: () => this.writer === null };
  }

  readUnlock(t: SimThread): void {
    if (!this.readers.delete(t))
      throw new ModelUsageError(`${this.name}: ${t.name} does not hold it for read`);
    this.restore(t);
  }

  tryWrite(t: SimThread): boolean {
    if (this.writer !== null || this.readers.size > 0) return false;
    this.writer = t;
    this.raise(t);
    return true;
  }

  // Models write_lock_irq(): waits for every reader and writer; differs: no reader/writer fairness.
  *writeLock(t: SimThread): ThreadBody<void> {
    while (!this.tryWrite(t)) {
      yield {
        kind: 'blocked',
        label: `${this.name}:write`,
        until: () => this.writer === null && this.readers.size === 0,
      };
    }
  }

  writeUnlock(t: SimThread): void {
    if (this.writer !== t) throw new ModelUsageError(`${this.name}: ${t.name} does not hold it for write`);
    this.writer = null;
    this.restore(t);
  }

  // Spinning locks a thread holds, across all locks (like preempt_count), are counted on the
  // thread itself: atomic until the last goes, then the mode it had before the first.
  private raise(t: SimThread): void {
    if (t.spinDepth++ === 0) t.spinSavedMode = t.mode;
    if (t.mode === 'process') t.mode = 'atomic';
  }

  private restore(t: SimThread): void {
    if (t.spinDepth > 0 && --t.spinDepth === 0) t.mode = t.spinSavedMode;
  }
}
