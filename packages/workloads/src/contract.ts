// The contract between a workload and whoever runs it (the bench app): what it receives and what it
// reports. Two kinds of numbers never mix here: every figure is modelled cost or modelled risk.
import type { BackendFactory } from '@khva/backend-api';
import type { KernelOptions, KernelOptionsInput } from '@khva/kvm';
import type { MachineOptions as CoreMachineOptions } from '@khva/memory-core';
import type { z } from 'zod';

/** Which kernel variant to model (DESIGN.md, "Bench config", `kernel`): the KVM model's options. */
export type { KernelOptions, KernelOptionsInput };

/** The modelled machine: memory-core's options, every field given. */
export type MachineOptions = Required<Pick<CoreMachineOptions, 'cpus' | 'tlbEntries' | 'ghz' | 'memGiB'>>;

/** What the kernel would pay, in modelled units (deterministic for a seed). */
export interface CostMetrics {
  cycles: number;
  cyclesPerOp: number;
  mapCalls: number;
  unmapCalls: number;
  mapFailures: number;
  /** Accesses sent to the slow path because the fast path could not use the mapping here. */
  wouldBlock: number;
  tlbFlushesLocal: number;
  tlbFlushesGlobal: number;
  ipis: number;
  vaBytesPeak: number;
  pageTablePages: number;
  directMapSplits: number;
}

/** What the kernel would risk. */
export interface SafetyMetrics {
  oopses: number;
  faults: number;
  /** Guest frames reachable from any kernel mapping other than the VM's own vCPU threads, integrated over time. */
  exposurePageNs: number;
  /** The part of `exposurePageNs` reachable from mms other than the VM's. */
  foreignExposurePageNs: number;
  staleTranslationNs: number;
  useAfterFreeWindows: number;
  /** gpc writes that landed on a frame already freed or handed to someone else. */
  useAfterFreeAccesses: number;
}

/** One workload run on one backend. */
export interface WorkloadResult {
  /** gpc accesses attempted. */
  ops: number;
  cost: CostMetrics;
  safety: SafetyMetrics;
  notes?: string[];
  /**
   * The backend's own counters at the end of the run (`MappingBackend.stats()`, e.g. vmap's `purges`):
   * reports leave them out, sweeps read the few they chart (lazy-purge stalls).
   */
  backendStats?: Readonly<Record<string, number>>;
}

/** Everything a workload run may read besides its own parameters. */
export interface WorkloadRunContext {
  readonly seed: number;
  readonly machine: Readonly<MachineOptions>;
  /** The kernel block; switches left out take the KVM model's defaults (resolveKernelOptions). */
  readonly kernel: KernelOptionsInput;
  /** Overrides of the cost table, by row name (empty: the model's own table). */
  readonly calibration: Readonly<Record<string, number>>;
  /** The backend under test: a factory object (the application resolved any name it was given). */
  readonly backend: BackendFactory<object>;
  /**
   * Options for that backend's factory (`create(machine, options)`), from the config's
   * `backendOptions[backend]`; absent: the factory's defaults.
   */
  readonly backendOptions?: Readonly<Record<string, unknown>>;
  /** Report progress as a fraction in [0, 1]; cheap enough to call every few thousand operations. */
  onProgress(fraction: number): void;
}

/**
 * The parameters of a workload, as a zod object schema whose fields all have defaults (`{}` must parse).
 * The bench app makes it strict (unknown keys are config errors) and publishes it in the config's JSON Schema.
 */
export type WorkloadParamsSchema = z.ZodObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

/** The parameters a workload's `run` receives: the schema's output, defaults applied. */
export type WorkloadParams<S extends WorkloadParamsSchema> = z.output<S>;

/**
 * A workload: a real user of the gpc, scalable by its parameters.
 * Generic over its params schema so the params type is inferred from the schema, never written twice.
 */
export interface WorkloadDefinition<S extends WorkloadParamsSchema = WorkloadParamsSchema> {
  /** Name used in configs and reports (kebab-case), e.g. `kvmclock`. */
  readonly name: string;
  /** One line for `khva-bench list`. */
  readonly summary: string;
  readonly params: S;
  /** Runs deterministically for `ctx.seed`; must not read the wall clock or any global state. */
  run(params: WorkloadParams<S>, ctx: WorkloadRunContext): WorkloadResult;
}

/** Identity helper that infers `S` from the schema, so `run` gets typed params without annotations. */
export function defineWorkload<S extends WorkloadParamsSchema>(
  definition: WorkloadDefinition<S>,
): WorkloadDefinition<S> {
  return definition;
}
