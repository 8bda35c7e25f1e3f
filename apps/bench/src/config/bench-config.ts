// The validated, normalised bench config: what a run uses and what report.json records.
import { defaultKernelOptions } from '@khva/kvm';
import { defaultCalibration, MACHINE_DEFAULTS } from '@khva/memory-core';
import type { KernelOptions, MachineOptions } from '../workload.ts';

export interface BenchConfig {
  seed: number;
  machine: MachineOptions;
  /** Backend names, in the order reports list them. */
  backends: string[];
  /** Workload name -> its params with defaults applied, in the order of the config file. */
  workloads: Record<string, Record<string, unknown>>;
  kernel: KernelOptions;
  /** Cost-table overrides, by row name, sorted by name. */
  calibration: Record<string, number>;
  /** Backend name -> options for its factory, as written (backends in registry order); `{}` when none. */
  backendOptions: Record<string, Record<string, unknown>>;
  /** Third-party backend modules, as written (present only when the config names some). */
  backendModules?: string[];
}

/** The machine's defaults are memory-core's (the clock: its cost table's). */
export const DEFAULT_MACHINE: Omit<MachineOptions, 'cpus'> = {
  tlbEntries: MACHINE_DEFAULTS.tlbEntries,
  ghz: defaultCalibration.ghz,
  memGiB: MACHINE_DEFAULTS.memGiB,
};

export const DEFAULT_KERNEL: KernelOptions = defaultKernelOptions;
