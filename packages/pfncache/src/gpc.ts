import type { MapContext, MappingBackend } from '@khva/backend-api';
import {
  type Errno,
  INVALID_GPA,
  isErrno,
  isErrorHva,
  KVM_HVA_ERR_BAD,
  type Memslot,
  type Vm,
} from '@khva/kvm';
import {
  type AccessOp,
  type AccessOutcome,
  costRow,
  type ExecContext,
  Mutex,
  offsetInPage,
  PAGE_SIZE,
  type Pfn,
  pageAlignDown,
  RwLock,
  type SimThread,
  type ThreadBody,
  USER_TOP,
  type Va,
} from '@khva/memory-core';
import { ReaderViews } from './reader-views.ts';

/** The offset in its page of the address a cache is set up at: its gpa, or its uhva without one. */
function cacheOffset(gpa: number, uhva: number): number {
  return gpa === INVALID_GPA ? offsetInPage(Math.max(0, uhva)) : offsetInPage(gpa);
}

/** `len` bytes from `offset` stay within one page (the check kvm_gpc_check makes of the length). */
function fitsFrom(offset: number, len: number): boolean {
  return Number.isInteger(len) && len >= 0 && offset + len <= PAGE_SIZE;
}

/** KVM_PFN_ERR_FAULT: the error pfn. */
export const KVM_PFN_ERR_FAULT = -1;
/** A NULL khva. */
export const NULL_KHVA = 0;

const GPC_CHECK = costRow('gpcCheck');

export type GpcResult = 0 | Errno;

/** Why check() failed (the first failing test, in the kernel's order), or 'ok'. */
export type CheckVerdict =
  | 'ok'
  | 'inactive'
  | 'generation'
  | 'bad-hva'
  | 'length'
  | 'invalid'
  | 'unreachable';

export interface GpcCounters {
  /** gpc_map calls into the backend (successful or not). */
  mapCalls: number;
  /** gpc_unmap calls that reached the backend. */
  unmapCalls: number;
  mapFailures: number;
  refreshes: number;
  /** Extra iterations of the retry loop (an invalidation raced with the unlocked window). */
  retries: number;
  /** Turns the retry loop spun (cond_resched, look up again) while an invalidation was active. */
  retrySpins: number;
  /** Warnings the kernel would print (WARN_ON_ONCE). */
  warnings: number;
  /** Caller side (gpcUse): accesses attempted, and those sent to the slow path (-EWOULDBLOCK). */
  uses: number;
  wouldBlock: number;
}

/** A fresh set of counters (all zero). */
export function zeroGpcCounters(): GpcCounters {
  return {
    mapCalls: 0,
    unmapCalls: 0,
    mapFailures: 0,
    refreshes: 0,
    retries: 0,
    retrySpins: 0,
    warnings: 0,
    uses: 0,
    wouldBlock: 0,
  };
}

/** A mapping the cache made and has not unmapped yet. */
interface LiveMapping {
  readonly khva: Va;
  readonly pfn: Pfn;
}

/** Faults in the gpc's own bookkeeping that the kernel would show as bugs (for invariants). */
export interface GpcViolations {
  doubleUnmaps: number;
  unmapUnderSpinlock: number;
  validInUnlockedWindow: number;
  /** refresh_lock taken by a thread holding gpc->lock (invariant 16). */
  lockOrder: number;
  /** An -EINVAL for bad input that changed the cache (invariant 13). */
  einvalSideEffects: number;
  /** An -EFAULT refresh that left a pfn, a khva, valid or a mapping behind (invariant 14). */
  failureEpilogue: number;
  /** gpc_map read an anon folio's tagged mapping pointer as an address_space (finding 3). */
  rawAnonMapping: number;
  /** RFC v1 went on with the pfn of a kvm_gmem_get_pfn() call that failed (return value ignored). */
  gmemErrorIgnored: number;
}

/**
 * struct gfn_to_pfn_cache and the functions of virt/kvm/pfncache.c (current mainline, with the
 * length check before activation), written against the MappingBackend interface. Every
 * function that can sleep, spin or drop a lock is a generator that yields there, so it runs
 * unchanged under a random, replayed or exhaustively explored schedule.
 */
export class GfnToPfnCache {
  gpa = INVALID_GPA;
  uhva: Va = KVM_HVA_ERR_BAD;
  generation = 0;
  memslot: Memslot | null = null;
  pfn: Pfn = KVM_PFN_ERR_FAULT;
  khva: Va = NULL_KHVA;
  active = false;
  valid = false;
  readonly lock: RwLock;
  readonly refreshLock: Mutex;
  readonly counters: GpcCounters = zeroGpcCounters();
  readonly violations: GpcViolations = {
    doubleUnmaps: 0,
    unmapUnderSpinlock: 0,
    validInUnlockedWindow: 0,
    lockOrder: 0,
    einvalSideEffects: 0,
    failureEpilogue: 0,
    rawAnonMapping: 0,
    gmemErrorIgnored: 0,
  };
  /** Page references taken by translation and not dropped yet (invariant 15: none at rest). */
  heldRefs = 0;
  /** What each reader saw when its check passed under the read lock (invariant 7). */
  readonly readerViews = new ReaderViews();
  readonly live: LiveMapping[] = [];
  /** Identity of the page's content when the cache took its pfn (the model's, not the kernel's). */
  pfnIdent: string | null = null;
  /** A refresh is inside gpc_to_pfn_retry's unlocked window. */
  inUnlockedWindow = false;
  /** The pfn a backend was last told about through release (kernel.releaseHook): told once. */
  released: Pfn = KVM_PFN_ERR_FAULT;
  /** What the VM's invalidation walk calls (this cache's entry on kvm->gpc_list). */
  readonly hook = {
    invalidateStart: (t: SimThread, s: Va, e: Va) => this.invalidateStart(t, s, e),
    invalidateStartNow: (t: SimThread, s: Va, e: Va) => this.invalidateStartNow(t, s, e),
  };

  // Models kvm_gpc_init(): sentinels set, locks initialised; khva/memslot/generation start empty.
  constructor(
    readonly vm: Vm,
    readonly backend: MappingBackend,
    readonly name = 'gpc',
  ) {
    this.lock = new RwLock(`${name}.lock`);
    this.refreshLock = new Mutex(`${name}.refresh_lock`);
  }

  get perAccess(): boolean {
    return this.backend.traits.kind === 'per-access';
  }

  get onList(): boolean {
    return this.vm.gpcList.has(this.hook);
  }

  // Models kvm_gpc_is_valid_len(): offset from the uhva for hva caches, else from the gpa.
  static isValidLen(gpa: number, uhva: number, len: number): boolean {
    return fitsFrom(cacheOffset(gpa, uhva), len);
  }

  // Models kvm_gpc_check(); differs: takes the caller's context so that, for backends whose
  // mapping is not visible everywhere, it also fails where the mapping cannot be reached.
  check(len: number, ctx?: ExecContext): boolean {
    return this.checkVerdict(len, ctx) === 'ok';
  }

  /** isValidLen(gpa, uhva, ·) for the gpa and uhva it was last asked about: the page offset they give. */
  #lenGpa = Number.NaN;
  #lenUhva = Number.NaN;
  #lenOffset = 0;

  /** isValidLen(this.gpa, this.uhva, len), the offset worked out once per gpa and uhva (check runs per access). */
  #lenFits(len: number): boolean {
    const gpa = this.gpa;
    const uhva = this.uhva;
    if (gpa !== this.#lenGpa || uhva !== this.#lenUhva) {
      this.#lenOffset = cacheOffset(gpa, uhva);
      this.#lenGpa = gpa;
      this.#lenUhva = uhva;
    }
    return fitsFrom(this.#lenOffset, len);
  }

  checkVerdict(len: number, ctx?: ExecContext): CheckVerdict {
    this.vm.machine.ledger.chargeOnce(GPC_CHECK);
    if (!this.active) return 'inactive';
    if (this.gpa !== INVALID_GPA && this.generation !== this.vm.memslots.generation) return 'generation';
    if (isErrorHva(this.uhva)) return 'bad-hva';
    if (!this.#lenFits(len)) return 'length';
    if (!this.valid) return 'invalid';
    if (
      ctx &&
      this.vm.kernel.reachGuard &&
      this.backend.traits.needsReachGuard &&
      !this.backend.reachable(ctx, this.vm, this.khva === NULL_KHVA ? NULL_KHVA : pageAlignDown(this.khva))
    ) {
      return 'unreachable';
    }
    return 'ok';
  }

  // Models kvm_gpc_activate(): INVALID_GPA is refused with a WARN (it marks hva caches), then
  // __kvm_gpc_activate (current mainline): length checked first; the cache is put on the VM's
  // list before it becomes active; then a refresh under the same refresh_lock.
  *activate(t: SimThread, gpa: number, len: number): ThreadBody<GpcResult> {
    if (gpa === INVALID_GPA) {
      this.counters.warnings++;
      return 'EINVAL';
    }
    return yield* this.activateCommon(t, gpa, KVM_HVA_ERR_BAD, len);
  }

  // Models kvm_gpc_activate_hva(): access_ok(uhva, len) first (the range must lie below the top
  // of user space, without wrapping), then __kvm_gpc_activate. Differs: the top is USER_TOP, not
  // x86-64's TASK_SIZE_MAX one page lower.
  *activateHva(t: SimThread, uhva: Va, len: number): ThreadBody<GpcResult> {
    if (!Number.isInteger(uhva) || uhva < 0 || !Number.isInteger(len) || len < 0 || uhva + len > USER_TOP) {
      return 'EINVAL';
    }
    return yield* this.activateCommon(t, INVALID_GPA, uhva, len);
  }

  private *activateCommon(t: SimThread, gpa: number, uhva: Va, len: number): ThreadBody<GpcResult> {
    if (!GfnToPfnCache.isValidLen(gpa, uhva, len)) return 'EINVAL';
    this.checkLockOrder(t);
    yield* this.refreshLock.lock(t);
    try {
      if (!this.active) {
        if (this.valid) {
          this.counters.warnings++;
          return 'EIO';
        }
        this.vm.gpcList.add(this.hook);
        yield* this.lock.writeLock(t);
        this.active = true;
        this.lock.writeUnlock(t);
      }
      return yield* this.refreshLocked(t, gpa, uhva);
    } finally {
      this.refreshLock.unlock(t);
    }
  }

  // Models kvm_gpc_refresh(): may sleep; -EINVAL for a length crossing the page (before any
  // state changes); hva caches pass their uhva, gpa caches let the uhva be recomputed.
  *refresh(t: SimThread, len: number): ThreadBody<GpcResult> {
    this.checkLockOrder(t);
    yield* this.refreshLock.lock(t);
    try {
      if (!GfnToPfnCache.isValidLen(this.gpa, this.uhva, len)) return 'EINVAL';
      const uhva = this.gpa === INVALID_GPA ? this.uhva : KVM_HVA_ERR_BAD;
      const before = this.fields();
      const r = yield* this.refreshLocked(t, this.gpa, uhva);
      if (r === 'EINVAL' && this.fields() !== before) this.violations.einvalSideEffects++;
      return r;
    } finally {
      this.refreshLock.unlock(t);
    }
  }

  // Models __kvm_gpc_refresh(): refresh_lock held by the caller; recompute memslot/uhva when the
  // gpa or generation moved; translate again only if invalid or the hva page changed; on error
  // leave the cache invalid with no pfn/khva; unmap the old mapping after the write lock drops.
  private *refreshLocked(t: SimThread, gpa: number, uhva: Va): ThreadBody<GpcResult> {
    this.counters.refreshes++;
    if ((gpa === INVALID_GPA) === isErrorHva(uhva)) {
      this.counters.warnings++;
      return 'EINVAL';
    }
    const pageOffset = gpa === INVALID_GPA ? offsetInPage(uhva) : offsetInPage(gpa);
    yield* this.lock.writeLock(t);
    if (!this.active) {
      this.lock.writeUnlock(t);
      return 'EINVAL';
    }
    const oldPfn = this.pfn;
    const oldKhva = this.khva === NULL_KHVA ? NULL_KHVA : pageAlignDown(this.khva);
    const oldUhva = isErrorHva(this.uhva) ? KVM_HVA_ERR_BAD : pageAlignDown(this.uhva);
    let hvaChange = false;
    let ret: GpcResult = 0;
    if (gpa === INVALID_GPA) {
      this.gpa = INVALID_GPA;
      this.memslot = null;
      this.uhva = pageAlignDown(uhva);
      hvaChange = this.uhva !== oldUhva;
    } else {
      const slots = this.vm.memslots;
      if (this.gpa !== gpa || this.generation !== slots.generation || isErrorHva(this.uhva)) {
        const gfn = Math.floor(gpa / PAGE_SIZE);
        this.gpa = gpa;
        this.generation = slots.generation;
        this.memslot = slots.gfnToMemslot(gfn);
        this.uhva = slots.gfnToHva(this.memslot, gfn);
        if (isErrorHva(this.uhva)) ret = 'EFAULT';
        else hvaChange = this.uhva !== oldUhva;
      } else {
        this.uhva = oldUhva;
      }
    }
    if (ret === 0) {
      this.uhva += pageOffset;
      if (!this.valid || hvaChange) {
        ret = yield* this.gpcToPfnRetry(t, oldKhva);
      } else {
        // Same page, still valid: keep the mapping, only the offset may move.
        if (oldKhva !== NULL_KHVA) this.khva = oldKhva + pageOffset;
        this.lock.writeUnlock(t);
        return 0;
      }
    }
    if (ret !== 0) {
      this.valid = false;
      this.pfn = KVM_PFN_ERR_FAULT;
      this.khva = NULL_KHVA;
      this.pfnIdent = null;
    }
    // With kernel.samePfnRemap the same pfn may have been mapped anew: the old mapping goes too.
    const remapped =
      this.vm.kernel.samePfnRemap &&
      oldKhva !== NULL_KHVA &&
      oldPfn === this.pfn &&
      this.mappedAt() !== oldKhva;
    const unmapOld = oldPfn !== this.pfn || remapped;
    this.lock.writeUnlock(t);
    if (unmapOld) this.gpcUnmap(t, oldPfn, oldKhva);
    if (oldPfn !== this.pfn) this.releasePfn(t, oldPfn);
    if (
      ret === 'EFAULT' &&
      (this.valid || this.pfn !== KVM_PFN_ERR_FAULT || this.khva !== NULL_KHVA || this.live.length > 0)
    ) {
      this.violations.failureEpilogue++;
    }
    return ret;
  }

  /** The page-aligned khva (NULL stays NULL). */
  private mappedAt(): Va {
    return this.khva === NULL_KHVA ? NULL_KHVA : pageAlignDown(this.khva);
  }

  /** The fields refresh may write, as one comparable value. */
  private fields(): string {
    return [
      this.gpa,
      this.uhva,
      this.generation,
      this.memslot?.id,
      this.pfn,
      this.khva,
      this.active,
      this.valid,
    ].join();
  }

  /** Lock order: refresh_lock is never taken while holding gpc->lock (it would sleep under a spinlock). */
  private checkLockOrder(t: SimThread): void {
    if (this.lock.writer === t || this.lock.readers.has(t)) this.violations.lockOrder++;
  }

  // Models gpc_to_pfn_retry() of the seed series (mainline hva_to_pfn_retry()): mark invalid,
  // then loop { snapshot mmu_invalidate_seq; drop the lock; undo the previous attempt; translate;
  // map (reusing the mapping if the pfn did not change); retake the lock } while an invalidation
  // is active in the VM or the sequence moved. Returns with the write lock held.
  private *gpcToPfnRetry(t: SimThread, oldKhva: Va): ThreadBody<GpcResult> {
    const vm = this.vm;
    let newPfn: Pfn = KVM_PFN_ERR_FAULT;
    let newKhva: Va = NULL_KHVA;
    this.valid = false;
    let first = true;
    for (;;) {
      let mmuSeq = vm.mmuInvalidateSeq;
      this.lock.writeUnlock(t);
      this.inUnlockedWindow = true;
      yield { kind: 'lock-drop', label: 'lock-drop' };
      if (!first) {
        this.counters.retries++;
        if (newKhva !== oldKhva) this.gpcUnmap(t, newPfn, newKhva);
        this.releaseRef(newPfn);
        if (vm.activeInvalidateCount > 0) {
          yield* this.spinWhileInvalidating(vm);
          // The turn after the last spin snapshots the sequence the invalidation's end left.
          mmuSeq = vm.mmuInvalidateSeq;
        } else {
          yield { kind: 'preempt', label: 'cond_resched' };
        }
      }
      first = false;
      const got = this.gpcToPfn(t.ctx);
      if (typeof got !== 'number') {
        newPfn = KVM_PFN_ERR_FAULT;
        this.inUnlockedWindow = false;
        yield* this.lock.writeLock(t);
        return 'EFAULT';
      }
      newPfn = got;
      this.heldRefs++;
      if (newPfn === this.pfn && this.mayReuse(newPfn, oldKhva)) {
        newKhva = oldKhva;
      } else if (this.perAccess) {
        // Nothing to map: accesses map and unmap around themselves. Set up what they need.
        this.backend.prepare?.(this.mapContext(t.ctx));
        newKhva = NULL_KHVA;
      } else {
        const mapped = this.gpcMap(t, newPfn);
        if (mapped === NULL_KHVA) {
          this.releaseRef(newPfn);
          this.inUnlockedWindow = false;
          yield* this.lock.writeLock(t);
          return 'EFAULT';
        }
        newKhva = mapped;
      }
      yield { kind: 'preempt', label: 'mapped' };
      this.inUnlockedWindow = false;
      yield* this.lock.writeLock(t);
      if (this.valid) {
        this.counters.warnings++;
        this.violations.validInUnlockedWindow++;
      }
      if (!this.gpcInvalidateRetry(mmuSeq)) break;
    }
    this.valid = true;
    this.pfn = newPfn;
    this.released = KVM_PFN_ERR_FAULT;
    this.pfnIdent = vm.machine.mem.get(newPfn)?.ident ?? null;
    this.khva = newKhva === NULL_KHVA ? NULL_KHVA : newKhva + offsetInPage(this.uhva);
    // The reference translation took goes: from now on invalidation, not a pin, keeps it right.
    this.releaseRef(newPfn);
    return 0;
  }

  // Models the kernel loop's turns while mn_active_invalidate_count is raised: each turn drops
  // the lock, releases the pfn, cond_resched()s, looks the page up again, retakes the lock and
  // fails the check. The model parks the thread until the count drops (so schedules stay finite)
  // and then charges the turns the kernel would have spun meanwhile: the cycles every other thread
  // charged while it waited (the one global clock) over one turn's cost, at least one turn.
  private *spinWhileInvalidating(vm: Vm): ThreadBody<void> {
    const ledger = vm.machine.ledger;
    const since = ledger.cycles;
    yield { kind: 'blocked', label: 'invalidation-active', until: () => vm.activeInvalidateCount === 0 };
    const turn = ledger.calibration.get('gpcRetrySpin');
    const spins = turn > 0 ? Math.max(1, Math.ceil((ledger.cycles - since) / turn)) : 1;
    this.counters.retrySpins += spins;
    ledger.charge('gpcRetrySpin', spins);
  }

  // The series' test for keeping the old khva is new_pfn == gpc->pfn alone (finding 1). With
  // kernel.samePfnRemap a direct-map address is not kept for a page whose folio is now flagged
  // no-direct-map: gpc_map would not choose page_address() for it, so it is mapped anew.
  private mayReuse(pfn: Pfn, oldKhva: Va): boolean {
    if (!this.vm.kernel.samePfnRemap || oldKhva === NULL_KHVA) return true;
    const m = this.vm.machine;
    return !(oldKhva === m.pageAddress(pfn) && m.mem.get(pfn)?.noDirectMap === true);
  }

  // Models kvm_release_page_clean()/_unused() on the page translation returned.
  private releaseRef(pfn: Pfn): void {
    this.vm.releasePage(pfn);
    this.heldRefs--;
  }

  // Models gpc_invalidate_retry() of the series (mainline mmu_notifier_retry_cache()): any
  // invalidation active anywhere in the VM, or the sequence moved since the snapshot.
  protected gpcInvalidateRetry(mmuSeq: number): boolean {
    return this.vm.activeInvalidateCount > 0 || this.vm.mmuInvalidateSeq !== mmuSeq;
  }

  // Models gpc_to_pfn() of the seed series, per kernel.series: a gpa cache whose slot the series
  // sends to guest_memfd (vm.usesGmem) takes its pfn from kvm_gmem_get_pfn(); RFC v3 turns an error
  // into -EFAULT, RFC v1 ignores the return value and returns its pfn variable unwritten (the model
  // counts that and fails the lookup instead of inventing a value); otherwise, and on mainline, GUP.
  private gpcToPfn(ctx: ExecContext): Pfn | Errno {
    const gfn = Math.floor(this.gpa / PAGE_SIZE);
    if (this.gpa !== INVALID_GPA && this.vm.usesGmem(this.memslot, gfn) && this.memslot) {
      const r = this.vm.gmemGetPfn(ctx, this.memslot, gfn);
      if (isErrno(r) && this.vm.kernel.series === 'rfc-v1') this.violations.gmemErrorIgnored++;
      return isErrno(r) ? 'EFAULT' : r;
    }
    const r = this.vm.hvaToPfn(ctx, this.uhva);
    return isErrno(r) ? 'EFAULT' : r;
  }

  // Models gpc_map(): the kernel picks kmap/vmap/memremap; here the backend decides.
  protected gpcMap(t: SimThread, pfn: Pfn): Va {
    this.counters.mapCalls++;
    const r = this.backend.map(this.mapContext(t.ctx), pfn);
    if (!r.ok) {
      this.counters.mapFailures++;
      return NULL_KHVA;
    }
    this.live.push({ khva: r.khva, pfn });
    return r.khva;
  }

  // Models gpc_unmap(): nothing for an error pfn or NULL khva; must not run under a spinlock.
  protected gpcUnmap(t: SimThread, pfn: Pfn, khva: Va): void {
    if (pfn === KVM_PFN_ERR_FAULT || khva === NULL_KHVA) return;
    if (this.lock.writer === t || this.lock.readers.has(t)) this.violations.unmapUnderSpinlock++;
    const i = this.live.findIndex((m) => m.khva === khva && m.pfn === pfn);
    if (i < 0) {
      this.violations.doubleUnmaps++;
      return;
    }
    this.live.splice(i, 1);
    this.counters.unmapCalls++;
    this.backend.unmap(this.mapContext(t.ctx), khva, pfn);
  }

  private mapContext(ctx: ExecContext): MapContext {
    return {
      machine: this.vm.machine,
      vm: this.vm,
      ctx,
      slotNoDirectMap: this.memslot?.gmem?.flags.noDirectMap === true,
      report: (check) => {
        if (check === 'raw-anon-mapping') this.violations.rawAnonMapping++;
      },
    };
  }

  // kernel.releaseHook: tell the backend the cache no longer uses pfn, before it can be freed and
  // outside gpc->lock (a flush may send IPIs). Once per pfn: an invalidation that already told it
  // is not repeated by the refresh that then moves away.
  private releasePfn(t: SimThread, pfn: Pfn): void {
    if (!this.vm.kernel.releaseHook || pfn === KVM_PFN_ERR_FAULT || pfn === this.released) return;
    this.released = pfn;
    this.backend.release?.(this.mapContext(t.ctx), pfn);
  }

  // Models kvm_gpc_deactivate(): inactive and invalid under the write lock, off the list, then
  // the old mapping unmapped with only refresh_lock held.
  *deactivate(t: SimThread): ThreadBody<void> {
    this.checkLockOrder(t);
    yield* this.refreshLock.lock(t);
    try {
      if (!this.active) return;
      yield* this.lock.writeLock(t);
      this.active = false;
      this.valid = false;
      const oldKhva = this.khva === NULL_KHVA ? NULL_KHVA : pageAlignDown(this.khva);
      const oldPfn = this.pfn;
      this.khva = NULL_KHVA;
      this.pfn = KVM_PFN_ERR_FAULT;
      this.pfnIdent = null;
      this.lock.writeUnlock(t);
      this.vm.gpcList.delete(this.hook);
      yield { kind: 'preempt', label: 'deactivated' };
      this.gpcUnmap(t, oldPfn, oldKhva);
      this.releasePfn(t, oldPfn);
    } finally {
      this.refreshLock.unlock(t);
    }
  }

  // Models gfn_to_pfn_cache_invalidate_start() for this cache: test under the read lock, then
  // re-test under the write lock and clear valid. Never unmaps: the next refresh does. Differs:
  // answers whether the cache is active with its uhva in the range (read under the lock), which
  // kernel.hvaRangeTracking uses; with kernel.releaseHook the backend hears of the dropped pfn.
  *invalidateStart(t: SimThread, start: Va, end: Va): ThreadBody<boolean> {
    yield* this.lock.readLock(t);
    const covers = this.active && this.uhva >= start && this.uhva < end;
    const first = this.invalidationHits(start, end);
    this.lock.readUnlock(t);
    if (!first) return covers;
    return yield* this.invalidateLocked(t, start, end, covers);
  }

  /**
   * invalidateStart without a generator when no lock is in the way (a walk over every cache of a
   * VM per invalidation is the common case): the same lock operations and reads in the same
   * order, so the answer, or the rest of the work as a body when a lock would make it wait.
   */
  invalidateStartNow(t: SimThread, start: Va, end: Va): boolean | ThreadBody<boolean> {
    if (this.lock.writer !== null) return this.invalidateStart(t, start, end);
    // A cache whose uhva lies outside the range answers false whatever else holds; taking and
    // dropping a free read lock around that test changes nothing anyone can see, so skip it.
    if (!(this.uhva >= start && this.uhva < end)) return false;
    this.lock.tryRead(t);
    const covers = this.active;
    const first = this.invalidationHits(start, end);
    this.lock.readUnlock(t);
    if (!first) return covers;
    if (this.lock.writer !== null || this.lock.readers.size > 0)
      return this.invalidateLocked(t, start, end, covers);
    this.lock.tryWrite(t);
    this.invalidateUnderWriteLock(t, start, end);
    return covers;
  }

  private invalidationHits(start: Va, end: Va): boolean {
    return this.valid && this.pfn !== KVM_PFN_ERR_FAULT && this.uhva >= start && this.uhva < end;
  }

  /** The second half of invalidateStart: re-test under the write lock and clear valid. */
  private *invalidateLocked(t: SimThread, start: Va, end: Va, covers: boolean): ThreadBody<boolean> {
    yield* this.lock.writeLock(t);
    this.invalidateUnderWriteLock(t, start, end);
    return covers;
  }

  /** Holding the write lock: drop the pfn if the range still hits, unlock, tell the backend. */
  private invalidateUnderWriteLock(t: SimThread, start: Va, end: Va): void {
    const dropped = this.invalidationHits(start, end) ? this.pfn : KVM_PFN_ERR_FAULT;
    if (dropped !== KVM_PFN_ERR_FAULT) this.markInvalidated();
    this.lock.writeUnlock(t);
    this.releasePfn(t, dropped);
  }

  /** The invalidation hook's effect on a cache it hits. */
  protected markInvalidated(): void {
    this.valid = false;
  }

  /**
   * Touch the guest page through the cache (the caller holds the read lock and saw check pass):
   * through the cached khva, or through the per-access backend, which may refuse here.
   */
  access(
    ctx: ExecContext,
    offset: number,
    bytes: number,
    op: AccessOp,
    data?: Uint8Array,
  ): AccessOutcome | { ok: false; kind: 'cannot'; reason: string } {
    let out: AccessOutcome;
    if (this.perAccess) {
      const access = this.backend.access;
      if (!access) throw new TypeError(`backend ${this.backend.name} is per-access but has no access()`);
      const pfn = this.pfn;
      const at = offsetInPage(this.uhva) + offset;
      const req = data ? { pfn, offset: at, bytes, op, data } : { pfn, offset: at, bytes, op };
      const r = access.call(this.backend, ctx, this.vm, req);
      if (!r.ok) return { ok: false, kind: 'cannot', reason: r.reason };
      out = r.outcome;
    } else {
      // The machine checks the frame against the cache's pfn identity (see below) as it touches it.
      const ident = this.pfnIdent;
      return this.vm.machine.access(
        ctx,
        this.khva + offset,
        bytes,
        op,
        data,
        ident === null ? undefined : ident,
      );
    }
    // The page behind the cached pfn was freed or handed to someone else since the cache took it:
    // whatever mapping reached it, this access is a use-after-free (the oracle counts it once).
    if (out.ok && !out.useAfterFree && this.pfnIdent !== null) {
      const frame = this.vm.machine.mem.get(out.pfn);
      if (!frame || frame.ident !== this.pfnIdent) {
        this.vm.machine.oracle.useAfterFreeAccess();
        out = { ...out, useAfterFree: true };
      }
    }
    return out;
  }
}
