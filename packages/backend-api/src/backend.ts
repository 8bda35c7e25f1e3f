import type { AccessOp, AccessOutcome, Cpu, ExecContext, Machine, Mm, Pfn, Va } from '@khva/memory-core';

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

/**
 * What a backend sees of the VM a cache belongs to: its name and the VMM's address space. A
 * structural type, so backends need not depend on the KVM model (its `Vm` satisfies it).
 */
export interface BackendVm {
  readonly name: string;
  readonly mm: Mm;
  /** The kernel being modelled, where the backend models a series' own gpc_map (vmap). */
  readonly kernel?: BackendKernel;
}

/** The part of the kernel options a backend may follow (the KVM model's KernelOptions has it). */
export interface BackendKernel {
  /** The pfncache generation: mainline (kmap only), RFC v1 (vmap per memslot), RFC v3 (per folio). */
  readonly series: 'mainline' | 'rfc-v1' | 'rfc-v3';
  /** gpc_map masks FOLIO_MAPPING_ANON before testing folio->mapping (finding 3's fix). */
  readonly gpcMapMasksAnon: boolean;
}

/** What a backend can report through MapContext.report: kernel code the model caught doing wrong. */
export type BackendReport = 'raw-anon-mapping';

/** Everything a backend may touch when it maps or unmaps for a cache. */
export interface MapContext {
  readonly machine: Machine;
  readonly vm: BackendVm;
  /** The refreshing thread's context (map/unmap run in refresh/deactivate: may sleep). */
  readonly ctx: ExecContext;
  /**
   * RFC v1's kvm_slot_no_direct_map(gpc->memslot): the cache's memslot is bound to a
   * no-direct-map guest_memfd (false for an hva cache, which has no memslot).
   */
  readonly slotNoDirectMap?: boolean;
  /**
   * Record something the kernel code would get wrong here (gpc_map reading an anon folio's
   * mapping as an address_space): the gpc counts it as a violation of the matching check.
   */
  report?(check: BackendReport, detail: string): void;
}

/** The error numbers a mapping may fail with (a subset of the KVM model's `Errno`). */
export type MapErrno = 'EINVAL' | 'EFAULT' | 'ENOMEM' | 'EIO';

export type MapResult =
  | { readonly ok: true; readonly khva: Va }
  | { readonly ok: false; readonly errno: MapErrno; readonly reason: string };

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

/**
 * How the gpc gets a kernel address for a pfn: the one thing it knows about mapping. Hooks
 * marked optional are called only when present, so a later version may add more of them
 * without breaking a backend written against this one.
 */
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
  reachable(ctx: ExecContext, vm: BackendVm, khva: Va): boolean;
  /**
   * The gpc dropped pfn (kernel.releaseHook): an invalidation took it away, a refresh moved to
   * another pfn, or the cache was deactivated. Called before the page can be freed, outside
   * gpc->lock; per-access backends flush the translations their accesses left behind here.
   */
  release?(mc: MapContext, pfn: Pfn): void;
  /** Per-access backends: set up what accesses will need (may sleep; called from refresh). */
  prepare?(mc: MapContext): void;
  /** Per-access backends: map, touch, unmap; or answer that it cannot be done here. */
  access?(ctx: ExecContext, vm: BackendVm, req: AccessRequest): AccessResult;
  /** Force whatever the backend batches lazily (vmap's purge). */
  purge?(initiator: Cpu): void;
  /** Backend-specific counters, for reports. */
  stats?(): Readonly<Record<string, number>>;
}
