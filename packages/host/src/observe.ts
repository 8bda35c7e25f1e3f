import type { AccessRecord, Machine } from '@khva/memory-core';
import type { GfnToPfnCache, InvariantTracker, InvariantViolation } from '@khva/pfncache';
import type { StepCounters } from './step-counters.ts';

/** Counters a step moved: the caches' map/unmap/would-block counts, global flushes and IPIs. */
export interface StepDeltas {
  mapCalls: number;
  unmapCalls: number;
  tlbFlushesGlobal: number;
  ipis: number;
  wouldBlock: number;
}

/** What one step did that a checker looks at. */
export interface StepObservation {
  readonly deltas: StepDeltas;
  /** Oopses and faults the step caused (absent: none). */
  readonly oops?: AccessRecord[];
  readonly faults?: AccessRecord[];
  /** An access reached a frame in another life (the oracle's use-after-free count moved). */
  readonly useAfterFree: boolean;
  /** How many such accesses (absent: none). */
  readonly useAfterFreeAccesses?: number;
  /** A translation of a freed page opened a use-after-free window. */
  readonly staleAfterFree: boolean;
  /** How many such windows opened (absent: none). */
  readonly useAfterFreeWindows?: number;
  /** The invariants the caches break after the step, by name, each once. */
  readonly violations: string[];
  /** Each broken invariant with its cache and detail, as checkInvariants over every cache lists them (absent: none). */
  readonly broken?: InvariantViolation[];
}

/** The caches' counters and the machine's, summed: what a step's deltas are taken from. */
export function totals(machine: Machine, caches: Iterable<GfnToPfnCache>): StepDeltas {
  let mapCalls = 0;
  let unmapCalls = 0;
  let wouldBlock = 0;
  for (const c of caches) {
    mapCalls += c.counters.mapCalls;
    unmapCalls += c.counters.unmapCalls;
    wouldBlock += c.counters.wouldBlock;
  }
  const k = machine.ledger.counters;
  return { mapCalls, unmapCalls, tlbFlushesGlobal: k.tlbFlushesGlobal, ipis: k.ipis, wouldBlock };
}

/**
 * Snapshots the machine before a step; end() compares after it. One per step, all of a host's steps
 * sharing one InvariantTracker and StepCounters, so a step costs what it changed, not the number of caches.
 */
export class StepObserver {
  private readonly flushes0: number;
  private readonly ipis0: number;
  private readonly oops0: number;
  private readonly faults0: number;
  private readonly uaf0: number;
  private readonly windows0: number;

  constructor(
    private readonly machine: Machine,
    private readonly tracker: InvariantTracker,
    private readonly counters: StepCounters,
    /** Caches created since the last step ended, in creation order (checked for the first time). */
    private readonly fresh: () => GfnToPfnCache[],
  ) {
    const k = machine.ledger.counters;
    this.flushes0 = k.tlbFlushesGlobal;
    this.ipis0 = k.ipis;
    this.oops0 = machine.oopsLog.count;
    this.faults0 = machine.faultLog.count;
    const f = machine.oracle.figures();
    this.uaf0 = f.useAfterFreeAccesses;
    this.windows0 = f.useAfterFreeWindows;
  }

  /** What the step did; `touched` are the caches its op ran on (the others are found by what changed). */
  end(touched: Iterable<GfnToPfnCache | undefined> = []): StepObservation {
    const m = this.machine;
    const named: GfnToPfnCache[] = this.fresh();
    for (const g of touched) if (g !== undefined) named.push(g);
    // The same order of reads as the scenario runner always had: invariants, logs, then the oracle.
    const violations = this.tracker.check(named);
    const moved = this.counters.take(this.tracker.checked);
    const k = m.ledger.counters;
    const deltas: StepDeltas = {
      mapCalls: moved.mapCalls,
      unmapCalls: moved.unmapCalls,
      tlbFlushesGlobal: k.tlbFlushesGlobal - this.flushes0,
      ipis: k.ipis - this.ipis0,
      wouldBlock: moved.wouldBlock,
    };
    const oops = m.oopsLog.count > this.oops0 ? m.oopsLog.since(this.oops0) : undefined;
    const faults = m.faultLog.count > this.faults0 ? m.faultLog.since(this.faults0) : undefined;
    const f = m.oracle.figures();
    const uaf = f.useAfterFreeAccesses - this.uaf0;
    const windows = f.useAfterFreeWindows - this.windows0;
    return {
      deltas,
      ...(oops ? { oops } : {}),
      ...(faults ? { faults } : {}),
      useAfterFree: uaf > 0,
      ...(uaf > 0 ? { useAfterFreeAccesses: uaf } : {}),
      staleAfterFree: windows > 0,
      ...(windows > 0 ? { useAfterFreeWindows: windows } : {}),
      violations,
      ...(violations.length > 0 ? { broken: this.tracker.violations() } : {}),
    };
  }
}
