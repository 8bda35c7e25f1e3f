// What a workload reports must be a number the report can print truthfully: finite, non-negative,
// whole where it counts events. Anything else is a bug in the model, not a result.
import { COST_KEYS, COST_METRICS, SAFETY_KEYS, SAFETY_METRICS } from '../metrics.ts';
import type { WorkloadResult } from '../workload.ts';

function checkNumber(problems: string[], name: string, value: unknown, integer: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value))
    problems.push(`${name} is ${String(value)}, not a number`);
  else if (value < 0) problems.push(`${name} is negative (${value})`);
  else if (integer && !Number.isInteger(value)) problems.push(`${name} counts events but is ${value}`);
}

/** The problems with a result; empty when it can be reported. */
export function checkResult(result: WorkloadResult): string[] {
  const problems: string[] = [];
  checkNumber(problems, 'ops', result.ops, true);
  for (const key of COST_KEYS)
    checkNumber(problems, `cost.${key}`, result.cost?.[key], COST_METRICS[key].integer);
  for (const key of SAFETY_KEYS) {
    checkNumber(problems, `safety.${key}`, result.safety?.[key], SAFETY_METRICS[key].integer);
  }
  if (problems.length === 0 && result.safety.foreignExposurePageNs > result.safety.exposurePageNs) {
    problems.push('safety.foreignExposurePageNs exceeds safety.exposurePageNs, of which it is a part');
  }
  if (result.notes !== undefined && !result.notes.every((n) => typeof n === 'string')) {
    problems.push('notes must be strings');
  }
  return problems;
}
