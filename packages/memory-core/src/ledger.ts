import {
  type Calibration,
  type CalibrationRowName,
  COST_ROWS,
  type CostRowId,
  costRow,
  costRowName,
} from './calibration.ts';

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
  /** Cycles charged per row index, and the rows in the order they were first charged. */
  private readonly rowCycles = new Float64Array(COST_ROWS);
  private readonly rowCharged = new Uint8Array(COST_ROWS);
  private readonly rowOrder: CostRowId[] = [];
  private readonly nsPerCycle: number;
  /** The calibration's cycles by row index (it never changes after construction). */
  private readonly costs: Readonly<Float64Array>;

  constructor(readonly calibration: Calibration) {
    this.nsPerCycle = 1 / calibration.ghz;
    this.costs = calibration.cyclesById;
  }

  /** Simulated time in nanoseconds. */
  get nowNs(): number {
    return this.cycles * this.nsPerCycle;
  }

  /** Cycles charged per row, for breakdowns (rows in the order first charged; a fresh map). */
  get byRow(): ReadonlyMap<string, number> {
    return new Map(this.rowOrder.map((id) => [costRowName(id), this.rowCycles[id]!]));
  }

  charge(row: CalibrationRowName, times = 1): void {
    this.chargeRow(costRow(row), times);
  }

  /** charge() by a row index resolved once with costRow(): the per-access paths charge this way. */
  chargeRow(id: CostRowId, times = 1): void {
    const cycles = this.costs[id]!;
    // NaN: a row the table does not define (cyclesOf says which).
    if (Number.isNaN(cycles)) this.calibration.cyclesOf(id);
    const c = cycles * times;
    if (c === 0) return;
    this.add(id, c);
  }

  /**
   * chargeRow(id) once, small enough to inline on the per-access paths: the same additions in
   * the same order; a row that costs nothing or is missing takes chargeRow's path.
   */
  chargeOnce(id: CostRowId): void {
    const c = this.costs[id]!;
    if (!(c > 0)) {
      this.chargeRow(id);
      return;
    }
    this.add(id, c);
  }

  /** Book c cycles (non-zero) to the total and to row id, noting the order rows were first charged in. */
  private add(id: CostRowId, c: number): void {
    this.cycles += c;
    if (this.rowCharged[id] === 0) {
      this.rowCharged[id] = 1;
      this.rowOrder.push(id);
    }
    this.rowCycles[id] = this.rowCycles[id]! + c;
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
