export { AccessLog } from './access-log.ts';
export {
  Calibration,
  type CalibrationRow,
  type CalibrationRowName,
  type CalibrationTable,
  COST_ROWS,
  type CostRowId,
  costRow,
  costRowName,
  defaultCalibration,
} from './calibration.ts';
export { Cpu, type ExecContext, type ExecMode } from './cpu.ts';
export { DirectMap, type LeafSize, type RemoveResult } from './direct-map.ts';
export { ExhaustedError, KhvaError, ModelUsageError } from './errors.ts';
export { FREE, type Frame, HOST, type OwnerId, PhysicalMemory, type Sensitivity } from './frames.ts';
export * from './layout.ts';
export {
  fls,
  LAZY_PAGES_PER_LOG,
  type LastPurge,
  type LazyArea,
  type LazyPurgeHooks,
  LazyPurgeList,
  type LazyPurgeStats,
  lazyMaxPages,
} from './lazy-purge.ts';
export { CostLedger, type Counters, zeroCounters } from './ledger.ts';
export { LockHolders } from './lock-holders.ts';
export { Mutex, RwLock } from './locks.ts';
export {
  type AccessOp,
  type AccessOutcome,
  type AccessRecord,
  Machine,
  type MachineOptions,
  type Reachability,
  type Translation,
} from './machine.ts';
export {
  CALIBRATION_CYCLES_MAX,
  MACHINE_DEFAULTS,
  MACHINE_LIMITS,
  type Range,
  rangeProblem,
} from './machine-limits.ts';
export { type FaultResult, Mm, type Vma } from './mm.ts';
export { type ExposureFigures, GLOBAL_SCOPE, SafetyOracle } from './oracle.ts';
export {
  FALLBACKS,
  MIGRATE_MOVABLE,
  MIGRATE_RECLAIMABLE,
  MIGRATE_UNMOVABLE,
  MIGRATETYPE_NAMES,
  type MigrateType,
  PAGEBLOCK_PAGES,
  PageAllocator,
  type PageAllocStats,
  zoneBatchsize,
} from './page-alloc.ts';
export { PageChanges } from './page-changes.ts';
export { PageTable, type Pte } from './page-table.ts';
export { Prng } from './prng.ts';
export {
  runAlone,
  Scheduler,
  SimThread,
  type ThreadBody,
  type ThreadKind,
  type ThreadSpec,
  type YieldKind,
  type YieldPoint,
} from './scheduler.ts';
export { Tlb, type TlbEntry, tlbKey } from './tlb.ts';
export { VaRange } from './va-range.ts';
