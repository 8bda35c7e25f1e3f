// One-line descriptions of a run's settings, shared by every report format.

import { type KernelOptionsInput, resolveKernelOptions } from '@khva/kvm';
import type { BenchConfig } from '../config/bench-config.ts';
import { canonicalKernel } from './report.ts';

/** `vms=2, vcpusPerVm=4, updates=20000` (or `defaults`). */
export function describeParams(params: Readonly<Record<string, unknown>>): string {
  const parts = Object.entries(params).map(
    ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
  );
  return parts.length === 0 ? 'defaults' : parts.join(', ');
}

/** `gmemInvalidation=on, flushOnZap=off, reachGuard=on` (series and finding switches when not default). */
export function describeKernel(
  kernel: KernelOptionsInput | Readonly<Record<string, boolean | string>>,
): string {
  return Object.entries(canonicalKernel(resolveKernelOptions(kernel as KernelOptionsInput)))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : v ? 'on' : 'off'}`)
    .join(', ');
}

/** `seed 7 · 8 CPUs · 2.7 GHz · 1536 TLB entries · 64 GiB`. */
export function describeMachine(config: Pick<BenchConfig, 'seed' | 'machine'>): string {
  const m = config.machine;
  return `seed ${config.seed} · ${m.cpus} CPUs · ${m.ghz} GHz · ${m.tlbEntries} TLB entries · ${m.memGiB} GiB`;
}

/** `defaults` or `row=cycles, ...`. */
export function describeCalibration(calibration: Readonly<Record<string, number>>): string {
  const rows = Object.entries(calibration);
  return rows.length === 0 ? 'model defaults' : rows.map(([row, cycles]) => `${row}=${cycles}`).join(', ');
}

/** `none` or `memremap-strict {skipAbsent: true}; vmap {lazyMaxPagesOverride: 64}`. */
export function describeBackendOptions(
  backendOptions: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): string {
  const parts = Object.entries(backendOptions).map(
    ([backend, options]) =>
      `${backend} {${Object.entries(options)
        .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
        .join(', ')}}`,
  );
  return parts.length === 0 ? 'none' : parts.join('; ');
}
