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
  let refreshes = 0;
  try {
    // An uncontended read_lock() takes no scheduling point: no generator for it (readLock's own
    // first attempt is the same tryRead, which changes nothing when it fails).
    if (!gpc.lock.tryRead(t)) yield* gpc.lock.readLock(t);
    let verdict = gpc.checkVerdict(req.len, t.ctx);
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
    const access = gpc.access(t.ctx, req.offset ?? 0, req.bytes ?? req.len, req.op, req.data);
    gpc.readerViews.leave(t);
    gpc.lock.readUnlock(t);
    if (!access.ok && access.kind === 'cannot') {
      gpc.counters.wouldBlock++;
      return { result: 'EWOULDBLOCK', access: null, refreshes, verdict: 'unreachable' };
    }
    return { result: 0, access, refreshes, verdict };
  } finally {
    vm.srcuReaders--;
  }
}
