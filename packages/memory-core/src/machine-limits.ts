// What a modelled machine may be: the one table the Machine checks and every input schema (bench config,
// scenario files) derives its bounds from, so a value is refused up front for the same reason the model
// would refuse it later.

export interface Range {
  readonly min: number;
  readonly max: number;
  /** Whole numbers only. */
  readonly integer: boolean;
}

export const MACHINE_LIMITS = {
  cpus: { min: 1, max: 4096, integer: true },
  memGiB: { min: 1, max: 65536, integer: false },
  tlbEntries: { min: 1, max: 65536, integer: true },
  /** Free 2 MiB pageblocks at start: a host under memory pressure (at most all of 64 TiB). */
  freePageblocks: { min: 1, max: 33554432, integer: true },
  /** Below 0.1 GHz the ns figures stop meaning anything (1e-300 GHz gives exposures of 1e305 ns). */
  ghz: { min: 0.1, max: 10, integer: false },
} as const satisfies Record<string, Range>;

/** What a machine has when its options leave a field out (the clock comes from the cost table). */
export const MACHINE_DEFAULTS = {
  /** An STLB's size. */
  tlbEntries: 1536,
  memGiB: 64,
  /** Oops/fault records kept (first and latest): enough for any scenario, bounded for 10^7-event runs. */
  accessRecordLimit: 1000,
} as const;

/** Modelled cycles one calibration row may cost: more is a typo, and would overflow the ledger's sums. */
export const CALIBRATION_CYCLES_MAX = 1e9;

/** `machine.cpus: must be an integer from 1 to 4096, got 0`, or null when `value` is in range. */
export function rangeProblem(field: string, range: Range, value: number): string | null {
  const ok = Number.isFinite(value) && value >= range.min && value <= range.max;
  if (ok && (!range.integer || Number.isInteger(value))) return null;
  const what = range.integer ? 'an integer' : 'a number';
  return `${field}: must be ${what} from ${range.min} to ${range.max}, got ${value}`;
}
