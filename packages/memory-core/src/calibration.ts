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

/** Cycle costs by row name, with overrides from configuration applied once. */
export class Calibration {
  readonly ghz: number;
  private readonly cycles: Map<string, number>;

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
