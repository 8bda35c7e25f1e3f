export {
  type CheckVerdict,
  GfnToPfnCache,
  type GpcCounters,
  type GpcResult,
  type GpcViolations,
  KVM_PFN_ERR_FAULT,
  NULL_KHVA,
  zeroGpcCounters,
} from './gpc.ts';
export { InvariantTracker } from './invariant-tracker.ts';
export {
  checkCache,
  checkInvariants,
  currentPfn,
  type Invariant,
  type InvariantViolation,
  invariants,
} from './invariants.ts';
export { type ReaderView, ReaderViews } from './reader-views.ts';
export { type AloneRunner, gpcUse, gpcUseAlone, type UseOutcome, type UseRequest } from './use.ts';
