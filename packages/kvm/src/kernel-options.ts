/**
 * Which kernel generation the gpc follows:
 * - `mainline`: pfncache.c with no guest_memfd path (the direct-map-removal series applied to
 *   guest_memfd only): every cache translates through GUP, which refuses no-direct-map VMAs,
 *   and guest_memfd invalidation never reaches a cache;
 * - `rfc-v1`: the first posting (3 Dec 2025): kvm_gmem_get_pfn() for any memslot bound to a
 *   guest_memfd (shared gfns too), its return value ignored, vmap chosen per memslot, and no
 *   guest_memfd invalidation hook;
 * - `rfc-v3`: RFC v2/v3 (Feb/Mar 2026): kvm_gmem_get_pfn() only for gmem-only slots or private
 *   gfns (errors become -EFAULT), vmap chosen per folio, the guest_memfd invalidation hook.
 */
export type KernelSeries = 'mainline' | 'rfc-v1' | 'rfc-v3';

export const kernelSeries: readonly KernelSeries[] = ['mainline', 'rfc-v1', 'rfc-v3'];

/** Which kernel behaviour the model follows (the `kernel` block of configs and scenarios). */
export interface KernelOptions {
  /** The kernel generation; the switches below refine it. */
  readonly series: KernelSeries;
  /**
   * guest_memfd invalidation (punch-hole, release, attribute change) also invalidates gpcs by
   * hva range and raises the active-invalidation count: pfncache RFC v2/v3. Off: RFC v1 and
   * mainline (the series' default when left out).
   */
  readonly gmemInvalidation: boolean;
  /** Flush the kernel TLB range after removing a gmem page from the direct map (upstream). */
  readonly flushOnZap: boolean;
  /** mm-local/per-access backends: check fails where the mapping cannot be reached. */
  readonly reachGuard: boolean;
  /**
   * Fix for finding 1 (same-pfn reuse): the retry loop keeps the old khva for an unchanged pfn
   * only while the page still needs the same kind of mapping (a direct-map address is not reused
   * for a page that has left the direct map). Off: the series as posted.
   */
  readonly samePfnRemap: boolean;
  /**
   * Fix for finding 2 (R6): an mmu-notifier invalidation whose range covers an active cache's
   * uhva bumps mmu_invalidate_seq at its end even when no memslot overlaps, so a refresh whose
   * unlocked window it fell into retries. Off: mainline.
   */
  readonly hvaRangeTracking: boolean;
  /**
   * Fix for finding 3: RFC v2/v3 gpc_map masks the anon bit of folio->mapping before testing it
   * for AS_NO_DIRECT_MAP, as GUP does. Off: the raw read as posted, recorded as a violation each
   * time gpc_map meets an anon folio. On by default: the model always behaved this way (an anon
   * page gets kmap()), and every anon cache on vmap would otherwise report it.
   */
  readonly gpcMapMasksAnon: boolean;
  /**
   * Fix for finding 4: the gpc tells its backend when it drops a pfn (invalidation, refresh to
   * another pfn, deactivate) through MappingBackend.release, before the page can be freed; ephmap
   * flushes its stale translations there. Off: the backend is never told.
   */
  readonly releaseHook: boolean;
}

/** Input form: every field optional; gmemInvalidation follows the series when left out. */
export type KernelOptionsInput = { readonly [K in keyof KernelOptions]?: KernelOptions[K] | undefined };

export const defaultKernelOptions: KernelOptions = {
  series: 'rfc-v3',
  gmemInvalidation: true,
  flushOnZap: true,
  reachGuard: true,
  samePfnRemap: false,
  hvaRangeTracking: false,
  gpcMapMasksAnon: true,
  releaseHook: false,
};

/** The switches that fix a finding (off: the series as posted; all off by default but gpcMapMasksAnon). */
export const findingFixSwitches = [
  'samePfnRemap',
  'hvaRangeTracking',
  'gpcMapMasksAnon',
  'releaseHook',
] as const satisfies ReadonlyArray<keyof KernelOptions>;

/** Complete a kernel block: the series picks gmemInvalidation unless it is given. */
export function resolveKernelOptions(input: KernelOptionsInput = {}): KernelOptions {
  const series = input.series ?? defaultKernelOptions.series;
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  return {
    ...defaultKernelOptions,
    gmemInvalidation: series === 'rfc-v3',
    ...defined,
    series,
  };
}
