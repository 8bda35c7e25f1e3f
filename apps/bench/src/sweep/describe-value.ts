// How an axis value is written in labels and tables (its own module: the browser playground renders sweeps
// without the planner, which hashes with node:crypto).
import type { AxisValue } from './sweep-file.ts';

export function describeValue(value: AxisValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
