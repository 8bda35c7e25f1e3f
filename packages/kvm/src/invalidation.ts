import { PAGE_SIZE, type SimThread, type ThreadBody, type Va } from '@khva/memory-core';
import type { GuestMemfd } from './guest-memfd.ts';
import type { Vm } from './vm.ts';

/** What invalidation calls on each registered cache (gfn_to_pfn_cache_invalidate_start's walk). */
export interface InvalidationSubscriber {
  /** Invalidate if covered; answers whether the cache is active with its uhva in the range. */
  invalidateStart(t: SimThread, start: Va, end: Va): ThreadBody<boolean>;
  /**
   * The same without a generator where nothing would wait: the answer, or the rest of the work
   * as a body (a walk over every cache per invalidation then costs no generator per cache).
   */
  invalidateStartNow?(t: SimThread, start: Va, end: Va): boolean | ThreadBody<boolean>;
}

export interface InflightInvalidation {
  readonly start: Va;
  readonly end: Va;
  readonly source: 'mmu-notifier' | 'gmem' | 'attributes';
  /** The source invalidates caches (false for guest_memfd without kernel.gmemInvalidation). */
  readonly reachesGpc: boolean;
  /** The caches have been walked for this range (at once for a source that never walks them). */
  walked: boolean;
  /** The walk met an active cache whose uhva lies in the range (kernel.hvaRangeTracking). */
  coversCache: boolean;
}

/** What a guest_memfd invalidation begin decided, handed to its end (bindings are stable between). */
export interface GmemInvalidation {
  readonly file: GuestMemfd;
  readonly first: number;
  readonly end: number;
  /** hva ranges of the memslots bound to the range; non-empty: kvm_mmu_invalidate_begin ran. */
  readonly ranges: ReadonlyArray<readonly [Va, Va]>;
  /** The RFC v2/v3 hook raised the active-invalidation count. */
  readonly counted: boolean;
}

// Models kvm_mmu_notifier_invalidate_range_start(): raise the active count, invalidate the
// caches (before mmu_lock), then kvm_mmu_invalidate_begin if a memslot overlaps the range.
export function* mmuNotifierInvalidateRangeStart(vm: Vm, t: SimThread, start: Va, end: Va): ThreadBody<void> {
  vm.activeInvalidateCount++;
  vm.machine.ledger.charge('mmuNotifierRange');
  vm.event(() => `mmu-notifier start [${start.toString(16)}, ${end.toString(16)})`);
  yield* walkCaches(vm, t, 'mmu-notifier', [[start, end]], true);
  if (vm.memslots.overlapsHva(start, end)) vm.mmuInvalidateInProgress++;
}

// Models kvm_mmu_notifier_invalidate_range_end(): bump the sequence (only if a memslot
// overlaps: kvm_handle_hva_range runs on_lock only for ranges that hit a slot), then drop the
// active count. With kernel.hvaRangeTracking (the fix for R6) the sequence also moves when the
// walk met an active cache in the range, so a refresh whose unlocked window it fell into retries.
export function mmuNotifierInvalidateRangeEnd(vm: Vm, start: Va, end: Va): void {
  const entry = vm.inflight.find((x) => x.source === 'mmu-notifier' && x.start === start && x.end === end);
  const overlaps = vm.memslots.overlapsHva(start, end);
  if (overlaps) vm.mmuInvalidateInProgress--;
  if (overlaps || (vm.kernel.hvaRangeTracking && entry?.coversCache === true)) vm.mmuInvalidateSeq++;
  vm.activeInvalidateCount--;
  dropInflight(vm, 'mmu-notifier', start, end);
  vm.event(() => `mmu-notifier end [${start.toString(16)}, ${end.toString(16)})`);
}

// Models the gfn_to_pfn_cache_invalidate_start() call of each source: record the ranges as in
// flight, and (if this source reaches caches) walk the cache list for each.
function* walkCaches(
  vm: Vm,
  t: SimThread,
  source: InflightInvalidation['source'],
  ranges: ReadonlyArray<readonly [Va, Va]>,
  reachesGpc: boolean,
): ThreadBody<void> {
  const entries = ranges.map(([start, end]) => ({
    start,
    end,
    source,
    reachesGpc,
    walked: !reachesGpc,
    coversCache: false,
  }));
  vm.inflight.push(...entries);
  vm.stateVersion++;
  if (!reachesGpc) return;
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e]!;
    // Indexed loops: a for-of inside a generator allocates an iterator result per cache.
    const list = vm.gpcList.snapshot();
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      const now = c.invalidateStartNow
        ? c.invalidateStartNow(t, entry.start, entry.end)
        : c.invalidateStart(t, entry.start, entry.end);
      if (typeof now === 'boolean' ? now : yield* now) entry.coversCache = true;
    }
    entry.walked = true;
    vm.stateVersion++;
  }
}

function dropInflight(vm: Vm, source: InflightInvalidation['source'], start: Va, end: Va): void {
  const i = vm.inflight.findIndex((x) => x.source === source && x.start === start && x.end === end);
  if (i >= 0) vm.inflight.splice(i, 1);
  vm.stateVersion++;
}

/** The hva ranges through which the VM's memslots see a range of a gmem file. */
function gmemHvaRanges(vm: Vm, file: GuestMemfd, first: number, end: number): Array<[Va, Va]> {
  const out: Array<[Va, Va]> = [];
  for (const s of vm.memslots.slots.values()) {
    if (s.gmem !== file) continue;
    const lo = Math.max(first, s.gmemPgoff);
    const hi = Math.min(end, s.gmemPgoff + s.npages);
    if (lo < hi)
      out.push([
        s.userspaceAddr + (lo - s.gmemPgoff) * PAGE_SIZE,
        s.userspaceAddr + (hi - s.gmemPgoff) * PAGE_SIZE,
      ]);
  }
  return out;
}

// Models kvm_gmem_invalidate_begin(): kvm_mmu_invalidate_begin for bound slots; with the
// RFC v2/v3 hook (kernel.gmemInvalidation) also the active count and the gpc walk by hva.
// Bindings come from the memslots here (the kernel reads the file's binding xarray); what begin
// saw is handed to end, as the kernel keeps bindings stable under the filemap invalidate lock.
export function* gmemInvalidateBegin(
  vm: Vm,
  t: SimThread,
  file: GuestMemfd,
  first: number,
  end: number,
): ThreadBody<GmemInvalidation> {
  const ranges = gmemHvaRanges(vm, file, first, end);
  const inv: GmemInvalidation = { file, first, end, ranges, counted: vm.kernel.gmemInvalidation };
  vm.event(() => `gmem${file.id}: invalidate begin [${first}, ${end})`);
  if (inv.counted) vm.activeInvalidateCount++;
  yield* walkCaches(vm, t, 'gmem', ranges, inv.counted);
  if (ranges.length > 0) vm.mmuInvalidateInProgress++;
  return inv;
}

// Models kvm_gmem_invalidate_end(): bump mmu_invalidate_seq (if begin found a binding), then
// drop the counts, the active one last.
export function gmemInvalidateEnd(vm: Vm, inv: GmemInvalidation): void {
  const { file, first, end } = inv;
  if (inv.ranges.length > 0) {
    vm.mmuInvalidateSeq++;
    vm.mmuInvalidateInProgress--;
  }
  if (inv.counted) vm.activeInvalidateCount--;
  for (const [s, e] of inv.ranges) dropInflight(vm, 'gmem', s, e);
  vm.event(() => `gmem${file.id}: invalidate end [${first}, ${end})`);
}

// Models kvm_vm_set_mem_attributes() as RFC v2/v3 hook it: caches covering the range are
// invalidated by hva under the active count, then the secondary MMU is invalidated.
export function* setMemoryAttributes(
  vm: Vm,
  t: SimThread,
  gfn: number,
  pages: number,
  toPrivate: boolean,
): ThreadBody<0> {
  const ranges: Array<[Va, Va]> = [];
  for (let g = gfn; g < gfn + pages; g++) {
    const s = vm.memslots.gfnToMemslot(g);
    const hva = vm.memslots.gfnToHva(s, g);
    if (hva >= 0) ranges.push([hva, hva + PAGE_SIZE]);
  }
  if (vm.kernel.gmemInvalidation) vm.activeInvalidateCount++;
  yield* walkCaches(vm, t, 'attributes', ranges, vm.kernel.gmemInvalidation);
  if (ranges.length > 0) vm.mmuInvalidateInProgress++;
  for (let g = gfn; g < gfn + pages; g++) {
    if (toPrivate) vm.privateGfns.add(g);
    else vm.privateGfns.delete(g);
  }
  vm.stateVersion++;
  if (ranges.length > 0) {
    vm.mmuInvalidateSeq++;
    vm.mmuInvalidateInProgress--;
  }
  if (vm.kernel.gmemInvalidation) vm.activeInvalidateCount--;
  for (const [s, e] of ranges) dropInflight(vm, 'attributes', s, e);
  return 0;
}
