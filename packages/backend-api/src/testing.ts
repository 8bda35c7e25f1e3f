// `@khva/backend-api/testing`: a test double for tests and examples that need some backend but
// are not about one (the gpc's own tests, the host's, a README showing the cache). It is not a
// model of a kernel strategy: use a real backend package to compare strategies.
import { PAGE_SIZE } from '@khva/memory-core';
import type { MappingBackend } from './backend.ts';
import { globalTraits } from './global-traits.ts';

/**
 * A stable global backend: page_address for pages in the direct map, one vmalloc PTE (no guard
 * page, no lazy purge) for pages out of it, unmapped and flushed on every CPU at once.
 */
export function testBackend(): MappingBackend {
  return {
    name: 'test-double',
    traits: globalTraits(),
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
