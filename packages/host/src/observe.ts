import type { AccessRecord, Machine } from '@khva/memory-core';
import { checkInvariants, type GfnToPfnCache } from '@khva/pfncache';

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
  /** A translation of a freed page opened a use-after-free window. */
  readonly staleAfterFree: boolean;
  /** The invariants the caches break after the step, by name, each once. */
  readonly violations: string[];
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

/** Snapshots the machine before a step; end() compares after it. One per step. */
export class StepObserver {
  private readonly totals0: StepDeltas;
  private readonly oops0: number;
  private readonly faults0: number;
  private readonly uaf0: number;
  private readonly windows0: number;

  constructor(
    private readonly machine: Machine,
    private readonly caches: ReadonlyMap<string, GfnToPfnCache>,
  ) {
    this.totals0 = totals(machine, caches.values());
    this.oops0 = machine.oopsLog.count;
    this.faults0 = machine.faultLog.count;
    const f = machine.oracle.figures();
    this.uaf0 = f.useAfterFreeAccesses;
    this.windows0 = f.useAfterFreeWindows;
  }

  end(): StepObservation {
    const m = this.machine;
    const t1 = totals(m, this.caches.values());
    const t0 = this.totals0;
    const deltas: StepDeltas = {
      mapCalls: t1.mapCalls - t0.mapCalls,
      unmapCalls: t1.unmapCalls - t0.unmapCalls,
      tlbFlushesGlobal: t1.tlbFlushesGlobal - t0.tlbFlushesGlobal,
      ipis: t1.ipis - t0.ipis,
      wouldBlock: t1.wouldBlock - t0.wouldBlock,
    };
    // The same order of reads as the scenario runner always had: invariants, logs, then the oracle.
    const violations = [...new Set(checkInvariants(this.caches.values()).map((v) => v.invariant))];
    const oops = m.oopsLog.count > this.oops0 ? m.oopsLog.since(this.oops0) : undefined;
    const faults = m.faultLog.count > this.faults0 ? m.faultLog.since(this.faults0) : undefined;
    const useAfterFree = m.oracle.figures().useAfterFreeAccesses > this.uaf0;
    const staleAfterFree = m.oracle.figures().useAfterFreeWindows > this.windows0;
    return {
      deltas,
      ...(oops ? { oops } : {}),
      ...(faults ? { faults } : {}),
      useAfterFree,
      staleAfterFree,
      violations,
    };
  }
}
