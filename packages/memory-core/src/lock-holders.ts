/**
 * The threads holding a lock for read. A set kept in a plain array in the order they took it:
 * holders are few, and they come and go on every cache access, a churn under which a `Set`
 * rehashes (allocates a new table) every few add/delete pairs.
 */
export class LockHolders<T> implements Iterable<T> {
  readonly #list: T[] = [];

  get size(): number {
    return this.#list.length;
  }

  has(t: T): boolean {
    return this.#list.indexOf(t) >= 0;
  }

  /** Adds `t` if absent (a set: a second add by the same thread is one holder). */
  add(t: T): this {
    if (this.#list.indexOf(t) < 0) this.#list.push(t);
    return this;
  }

  /** Removes `t`, keeping the others in order; answers whether it was there. */
  delete(t: T): boolean {
    const list = this.#list;
    const i = list.indexOf(t);
    if (i < 0) return false;
    for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j] as T;
    list.pop();
    return true;
  }

  clear(): void {
    this.#list.length = 0;
  }

  [Symbol.iterator](): Iterator<T> {
    return this.#list[Symbol.iterator]();
  }
}
