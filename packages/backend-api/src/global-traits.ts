import type { BackendTraits } from './backend.ts';

/**
 * The traits of a global mapping (the direct map, vmalloc/ioremap space): one kernel page table
 * every CPU shares, so the khva works from hard IRQ and under any mm and the gpc needs no reach
 * guard. What differs between global backends is whether map() may refuse a RAM page (memremap)
 * and whether unmap leaves the TLB flush to a lazy purge (vunmap, iounmap).
 */
export function globalTraits(o: { mayRefuseRam?: boolean; lazyFlush?: boolean } = {}): BackendTraits {
  return {
    kind: 'global',
    usableFromIrq: true,
    usableFromForeignMm: true,
    mayRefuseRam: o.mayRefuseRam ?? false,
    needsReachGuard: false,
    lazyFlush: o.lazyFlush ?? false,
  };
}
