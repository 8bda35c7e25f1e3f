/** Which kernel behaviour the model follows (the `kernel` block of configs and scenarios). */
export interface KernelOptions {
  /**
   * guest_memfd invalidation (punch-hole, release, attribute change) also invalidates gpcs by
   * hva range and raises the active-invalidation count: pfncache RFC v2/v3. Off: RFC v1.
   */
  readonly gmemInvalidation: boolean;
  /** Flush the kernel TLB range after removing a gmem page from the direct map (upstream). */
  readonly flushOnZap: boolean;
  /** mm-local/per-access backends: check fails where the mapping cannot be reached. */
  readonly reachGuard: boolean;
}

export const defaultKernelOptions: KernelOptions = {
  gmemInvalidation: true,
  flushOnZap: true,
  reachGuard: true,
};
