import type { Errno } from '@khva/kvm';
import type { AccessOp, AccessOutcome, SimThread, ThreadBody, YieldPoint } from '@khva/memory-core';
import type { CheckVerdict, GfnToPfnCache } from './gpc.ts';

export interface UseRequest {
  /** Bytes the caller needs from the cached address (check and refresh length). */
  readonly len: number;
  readonly op: AccessOp;
  /** Offset of the access from the cached address (default 0). */
  readonly offset?: number;
  /** Bytes accessed (default len). */
  readonly bytes?: number;
  readonly data?: Uint8Array;
  /** The caller cannot sleep (Xen event-channel fast path): it never refreshes. */
  readonly atomic?: boolean;
}

export interface UseOutcome {
  /** 0, -EWOULDBLOCK (slow path needed) or the refresh error. */
  readonly result: 0 | Errno;
  /** The access through the cache, when one was made. */
  readonly access: AccessOutcome | null;
  readonly refreshes: number;
  /** The last check verdict before the access or the give-up. */
  readonly verdict: CheckVerdict;
}

/** Where a reader may be preempted inside its read-side section (one object for every use). */
const HOLDING_READ_LOCK: YieldPoint = Object.freeze({ kind: 'preempt', label: 'holding-read-lock' });

// Models the callers' check/refresh loop (kvm_setup_guest_pvclock, kvm_xen_set_evtchn_fast):
// read lock; while check fails drop it and refresh (atomic callers give up with -EWOULDBLOCK);
// then touch the page through the cache with the read lock held. Differs: a failure because the
// mapping cannot be reached from here also goes to the slow path, since no refresh would help.
export function* gpcUse(t: SimThread, gpc: GfnToPfnCache, req: UseRequest): ThreadBody<UseOutcome> {
  const vm = gpc.vm;
  gpc.counters.uses++;
  vm.srcuReaders++;
  try {
    // An uncontended read_lock() takes no scheduling point: no generator for it (readLock's own
    // first attempt is the same tryRead, which changes nothing when it fails).
    if (!gpc.lock.tryRead(t)) yield* gpc.lock.readLock(t);
    return yield* useLocked(t, gpc, req, gpc.checkVerdict(req.len, t.ctx));
  } finally {
    vm.srcuReaders--;
  }
}

/** What runs a thread's work to its end with nothing else scheduled meanwhile (a Host does). */
export interface AloneRunner {
  /** The scheduler's context switch onto t's CPU, which precedes every step of t. */
  enter(t: SimThread): void;
  /** Run a body on t to its end (entering t before each step) and return its result. */
  run<R>(t: SimThread, body: ThreadBody<R>): R;
}

/**
 * gpcUse for a caller that nothing else runs beside (the workloads): the same steps with the same
 * charges in the same order, without a generator when the first check finds the cache valid, which
 * is nearly every access. The context switch the scheduler makes before each of gpcUse's two steps
 * is made here too. A lock held by a writer, or a failed check, goes on through the generator from
 * where this stopped.
 */
export function gpcUseAlone(
  runner: AloneRunner,
  t: SimThread,
  gpc: GfnToPfnCache,
  req: UseRequest,
): UseOutcome {
  runner.enter(t);
  // A failed tryRead changes nothing, so the generator can start from the beginning.
  if (!gpc.lock.tryRead(t)) return runner.run(t, gpcUse(t, gpc, req));
  const vm = gpc.vm;
  gpc.counters.uses++;
  vm.srcuReaders++;
  try {
    const verdict = gpc.checkVerdict(req.len, t.ctx);
    if (verdict !== 'ok') return runner.run(t, useLocked(t, gpc, req, verdict));
    gpc.readerViews.enter(t, gpc.pfn, gpc.khva);
    // Where gpcUse yields holding the read lock: nothing else runs, the scheduler enters t again.
    runner.enter(t);
    const out = accessLocked(t, gpc, req, 0, verdict);
    t.result = out;
    return out;
  } finally {
    vm.srcuReaders--;
  }
}

/** gpcUse from its first check on, with the read lock held. */
function* useLocked(
  t: SimThread,
  gpc: GfnToPfnCache,
  req: UseRequest,
  first: CheckVerdict,
): ThreadBody<UseOutcome> {
  let verdict = first;
  let refreshes = 0;
  while (verdict !== 'ok') {
    gpc.lock.readUnlock(t);
    if (req.atomic || t.mode !== 'process' || verdict === 'unreachable') {
      gpc.counters.wouldBlock++;
      return { result: 'EWOULDBLOCK', access: null, refreshes, verdict };
    }
    const r = yield* gpc.refresh(t, req.len);
    refreshes++;
    if (r !== 0) return { result: r, access: null, refreshes, verdict };
    if (!gpc.lock.tryRead(t)) yield* gpc.lock.readLock(t);
    verdict = gpc.checkVerdict(req.len, t.ctx);
  }
  // Other CPUs keep running while this one holds the read lock.
  gpc.readerViews.enter(t, gpc.pfn, gpc.khva);
  yield HOLDING_READ_LOCK;
  return accessLocked(t, gpc, req, refreshes, verdict);
}

/** The access through a valid cache, read lock held; drops the lock. */
function accessLocked(
  t: SimThread,
  gpc: GfnToPfnCache,
  req: UseRequest,
  refreshes: number,
  verdict: CheckVerdict,
): UseOutcome {
  const access = gpc.access(t.ctx, req.offset ?? 0, req.bytes ?? req.len, req.op, req.data);
  gpc.readerViews.leave(t);
  gpc.lock.readUnlock(t);
  if (!access.ok && access.kind === 'cannot') {
    gpc.counters.wouldBlock++;
    return { result: 'EWOULDBLOCK', access: null, refreshes, verdict: 'unreachable' };
  }
  return { result: 0, access, refreshes, verdict };
}
