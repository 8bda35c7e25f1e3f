import table from './calibration.json' with { type: 'json' };
import { ModelUsageError } from './errors.ts';
import { CALIBRATION_CYCLES_MAX } from './machine-limits.ts';

export type Confidence = 'high' | 'medium' | 'low';

export interface CalibrationRow {
  readonly cycles: number;
  readonly range?: readonly number[];
  readonly source: string;
  readonly confidence: Confidence | string;
  readonly ref: string;
  readonly notes?: string;
}

export interface CalibrationTable {
  readonly schema: string;
  readonly ghz: number;
  readonly rows: Readonly<Record<string, CalibrationRow>>;
}

/** The shipped table (data, sourced row by row; see calibration.json). */
export const defaultCalibration: CalibrationTable = table;

export type CalibrationRowName = keyof typeof table.rows;

/** A row's index: hot paths resolve a row name once and charge by index (no string lookup per charge). */
export type CostRowId = number & { readonly __costRow: unique symbol };

const ROW_IDS = new Map<string, CostRowId>(Object.keys(table.rows).map((name, i) => [name, i as CostRowId]));
const ROW_NAMES: readonly string[] = Object.keys(table.rows);

/** The index of a row of the shipped table (resolve it once, at module or construction time). */
export function costRow(name: CalibrationRowName): CostRowId {
  const id = ROW_IDS.get(name);
  if (id === undefined) throw new ModelUsageError(`unknown calibration row ${name}`);
  return id;
}

/** The row name of an index from costRow(). */
export const costRowName = (id: CostRowId): CalibrationRowName => ROW_NAMES[id] as CalibrationRowName;

/** Rows the shipped table defines (the size of per-row arrays). */
export const COST_ROWS = ROW_NAMES.length;

/** Cycle costs by row name, with overrides from configuration applied once. */
export class Calibration {
  readonly ghz: number;
  private readonly cycles: Map<string, number>;
  /** Cycles by row index (costRow); NaN for a shipped row this table does not define. */
  private readonly byId = new Float64Array(COST_ROWS).fill(Number.NaN);

  constructor(overrides: Readonly<Record<string, number>> = {}, base: CalibrationTable = defaultCalibration) {
    this.ghz = base.ghz;
    this.cycles = new Map(Object.entries(base.rows).map(([name, row]) => [name, row.cycles]));
    for (const [name, value] of Object.entries(overrides)) {
      if (!this.cycles.has(name)) {
        throw new ModelUsageError(
          `calibration.${name}: unknown cost row; known rows: ${[...this.cycles.keys()].join(', ')}`,
        );
      }
      if (!Number.isFinite(value) || value < 0 || value > CALIBRATION_CYCLES_MAX) {
        throw new ModelUsageError(
          `calibration.${name}: must be a finite number of cycles >= 0 and <= ${CALIBRATION_CYCLES_MAX}, got ${value}`,
        );
      }
      this.cycles.set(name, value);
    }
    for (const [name, cycles] of this.cycles) {
      const id = ROW_IDS.get(name);
      if (id !== undefined) this.byId[id] = cycles;
    }
  }

  /** Cycles by row index, NaN where this table has no such row (the ledger reads it per charge). */
  get cyclesById(): Readonly<Float64Array> {
    return this.byId;
  }

  /** Cycles of a row by index (see costRow); throws for a row this table does not define. */
  cyclesOf(id: CostRowId): number {
    const c = this.byId[id]!;
    if (Number.isNaN(c)) throw new ModelUsageError(`unknown calibration row ${costRowName(id)}`);
    return c;
  }

  get(row: CalibrationRowName): number {
    const c = this.cycles.get(row);
    if (c === undefined) throw new ModelUsageError(`unknown calibration row ${row}`);
    return c;
  }

  names(): string[] {
    return [...this.cycles.keys()];
  }
}
