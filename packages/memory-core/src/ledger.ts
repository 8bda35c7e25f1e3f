import type { Calibration, CalibrationRowName } from './calibration.ts';

/** Counters the machine keeps; every figure a report shows comes from here or the oracle. */
export interface Counters {
  tlbFlushesLocal: number;
  tlbFlushesGlobal: number;
  tlbFlushesMm: number;
  ipis: number;
  pageTablePages: number;
  pageTablePagesPeak: number;
  vaBytes: number;
  vaBytesPeak: number;
  directMapSplits: number;
  directMapSplits2M: number;
  directMapSplits1G: number;
  tlbMisses: number;
  faults: number;
  oopses: number;
}

export const zeroCounters = (): Counters => ({
  tlbFlushesLocal: 0,
  tlbFlushesGlobal: 0,
  tlbFlushesMm: 0,
  ipis: 0,
  pageTablePages: 0,
  pageTablePagesPeak: 0,
  vaBytes: 0,
  vaBytesPeak: 0,
  directMapSplits: 0,
  directMapSplits2M: 0,
  directMapSplits1G: 0,
  tlbMisses: 0,
  faults: 0,
  oopses: 0,
});

/**
 * Cost ledger: charges modelled cycles by calibration row and advances simulated time with
 * them (one global clock: the model serialises work, so time is the sum of work done).
 */
export class CostLedger {
  cycles = 0;
  readonly counters: Counters = zeroCounters();
  /** Cycles charged per row, for breakdowns. */
  readonly byRow = new Map<string, number>();
  private readonly nsPerCycle: number;

  constructor(readonly calibration: Calibration) {
    this.nsPerCycle = 1 / calibration.ghz;
  }

  /** Simulated time in nanoseconds. */
  get nowNs(): number {
    return this.cycles * this.nsPerCycle;
  }

  charge(row: CalibrationRowName, times = 1): void {
    const c = this.calibration.get(row) * times;
    if (c === 0) return;
    this.cycles += c;
    this.byRow.set(row, (this.byRow.get(row) ?? 0) + c);
  }

  addVaBytes(delta: number): void {
    const c = this.counters;
    c.vaBytes += delta;
    if (c.vaBytes > c.vaBytesPeak) c.vaBytesPeak = c.vaBytes;
  }

  addPageTablePages(delta: number): void {
    const c = this.counters;
    c.pageTablePages += delta;
    if (c.pageTablePages > c.pageTablePagesPeak) c.pageTablePagesPeak = c.pageTablePages;
  }
}
