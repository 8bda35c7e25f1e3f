import type { MappingBackend } from '@khva/backend-api';
import { PAGE_SIZE } from '@khva/memory-core';

// A test double of a stable global backend: page_address for pages in the direct map, one
// vmalloc PTE (no guard, no lazy purge) for pages out of it, unmapped and flushed at once.
export function testBackend(): MappingBackend {
  return {
    name: 'test-double',
    traits: {
      kind: 'global',
      usableFromIrq: true,
      usableFromForeignMm: true,
      mayRefuseRam: false,
      needsReachGuard: false,
      lazyFlush: false,
    },
    map(mc, pfn) {
      const m = mc.machine;
      if (m.directMap.isPresent(pfn)) return { ok: true, khva: m.pageAddress(pfn) };
      const va = m.vmalloc.alloc(PAGE_SIZE);
      m.mapGlobal(va, pfn);
      return { ok: true, khva: va };
    },
    unmap(mc, khva) {
      const m = mc.machine;
      if (khva >= m.vmalloc.start && khva < m.vmalloc.start + m.vmalloc.size) {
        m.unmapGlobal(khva);
        m.flushTlbKernelRange(mc.ctx.cpu, khva, khva + PAGE_SIZE);
        m.vmalloc.free(khva, PAGE_SIZE);
      }
    },
    reachable: () => true,
  };
}
