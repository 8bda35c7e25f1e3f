// The validated, normalised bench config: what a run uses and what report.json records.
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

export const DEFAULT_MACHINE: Omit<MachineOptions, 'cpus'> = { tlbEntries: 1536, ghz: 2.7, memGiB: 64 };

export const DEFAULT_KERNEL: KernelOptions = { gmemInvalidation: true, flushOnZap: true, reachGuard: true };
