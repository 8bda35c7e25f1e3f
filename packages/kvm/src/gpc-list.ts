import type { InvalidationSubscriber } from './invalidation.ts';

/**
 * kvm->gpc_list: the caches an invalidation walks. A Set (insertion order, as list_add_tail
 * keeps it) that also hands out an array snapshot of its members, made once per change of the
 * list rather than once per invalidation: a walk that waits on a cache's lock may let the list
 * change, and must go on over the members it started with.
 */
export class GpcList extends Set<InvalidationSubscriber> {
  #members: readonly InvalidationSubscriber[] | undefined;

  override add(c: InvalidationSubscriber): this {
    if (!this.has(c)) this.#members = undefined;
    return super.add(c);
  }

  override delete(c: InvalidationSubscriber): boolean {
    const had = super.delete(c);
    if (had) this.#members = undefined;
    return had;
  }

  override clear(): void {
    this.#members = undefined;
    super.clear();
  }

  /** The members now, in list order; the same array until the list next changes. */
  snapshot(): readonly InvalidationSubscriber[] {
    this.#members ??= [...this];
    return this.#members;
  }
}
