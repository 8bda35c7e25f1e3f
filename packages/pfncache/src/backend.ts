import type { Errno, Vm } from '@khva/kvm';
import type { AccessOp, AccessOutcome, Cpu, ExecContext, Machine, Pfn, Va } from '@khva/memory-core';

/**
 * Where a backend's mapping can be used from.
 * - global: every CPU, every mm (the direct map, vmalloc/ioremap space);
 * - mm-local: only where the VM's mm is loaded (vCPU/VMM threads, kthreads borrowing it);
 * - per-access: nothing is cached; each access maps in the current CPU's slice of the current mm.
 */
export type BackendKind = 'global' | 'mm-local' | 'per-access';

export interface BackendTraits {
  readonly kind: BackendKind;
  /** The khva (or an access) works from hard-IRQ context on any CPU. */
  readonly usableFromIrq: boolean;
  /** The khva works while another process's mm is loaded on the CPU. */
  readonly usableFromForeignMm: boolean;
  /** map() may refuse a RAM page (memremap semantics). */
  readonly mayRefuseRam: boolean;
  /** The gpc must check reachability before use (kernel.reachGuard). */
  readonly needsReachGuard: boolean;
  /** unmap leaves the TLB flush lazy (stale entries possible until a purge). */
  readonly lazyFlush: boolean;
}

/** Everything a backend may touch when it maps or unmaps for a cache. */
export interface MapContext {
  readonly machine: Machine;
  readonly vm: Vm;
  /** The refreshing thread's context (map/unmap run in refresh/deactivate: may sleep). */
  readonly ctx: ExecContext;
}

export type MapResult =
  | { readonly ok: true; readonly khva: Va }
  | { readonly ok: false; readonly errno: Errno; readonly reason: string };

/** Result of a per-access use: the access outcome, or "cannot here" (the caller's slow path). */
export type AccessResult =
  | { readonly ok: true; readonly outcome: AccessOutcome }
  | { readonly ok: false; readonly reason: string };

export interface AccessRequest {
  readonly pfn: Pfn;
  /** Offset in the page. */
  readonly offset: number;
  readonly bytes: number;
  readonly op: AccessOp;
  readonly data?: Uint8Array;
}

/** How the gpc gets a kernel address for a pfn: the one thing it knows about mapping. */
export interface MappingBackend {
  readonly name: string;
  readonly traits: BackendTraits;
  /** Stable backends: called in refresh (may sleep); the gpc caches the returned khva. */
  map(mc: MapContext, pfn: Pfn): MapResult;
  /** Undo one map (khva page aligned). Called once per successful map. */
  unmap(mc: MapContext, khva: Va, pfn: Pfn): void;
  /**
   * The mapping at khva (NULL for per-access backends) that this backend made for vm can be
   * used from ctx. Consulted by the gpc's reach guard when traits.needsReachGuard is set.
   */
  reachable(ctx: ExecContext, vm: Vm, khva: Va): boolean;
  /** Per-access backends: set up what accesses will need (may sleep; called from refresh). */
  prepare?(mc: MapContext): void;
  /** Per-access backends: map, touch, unmap; or answer that it cannot be done here. */
  access?(ctx: ExecContext, vm: Vm, req: AccessRequest): AccessResult;
  /** Force whatever the backend batches lazily (vmap's purge). */
  purge?(initiator: Cpu): void;
  /** Backend-specific counters, for reports. */
  stats?(): Readonly<Record<string, number>>;
}

/** A named recipe for a backend: options with defaults, and static traits. */
export interface BackendFactory<O extends object = Record<string, unknown>> {
  readonly name: string;
  readonly summary: string;
  readonly traits: BackendTraits;
  readonly defaults: O;
  create(machine: Machine, options?: Partial<O>): MappingBackend;
}

/**
 * Refuse options a backend does not know, naming the option and the ones it takes: a typo in a
 * configuration must not silently fall back to a default.
 */
export function checkBackendOptions(
  backend: string,
  known: readonly string[],
  options: object | undefined,
): void {
  for (const key of Object.keys(options ?? {})) {
    if (known.includes(key)) continue;
    const allowed = known.length === 0 ? 'it takes no options' : `known options: ${known.join(', ')}`;
    throw new TypeError(`${backend}: unknown option "${key}"; ${allowed}`);
  }
}

/** Identity helper that keeps the options type of a factory. */
export function defineBackend<O extends object>(factory: BackendFactory<O>): BackendFactory<O> {
  return factory;
}
