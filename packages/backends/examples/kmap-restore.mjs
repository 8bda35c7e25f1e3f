// A third-party backend, as its own module with no side effects: a "kmap-restore" strategy that
// puts the direct-map PTE back for as long as a cache maps the page. It depends on the backend
// interface only; `khva-bench` loads it by specifier (`backendModules` in a config).
import { defineBackend, globalTraits } from '@khva/backend-api';

export const kmapRestoreBackend = defineBackend({
  name: 'kmap-restore',
  summary: 'restore the direct-map PTE while mapped, remove it again with a global flush on unmap',
  traits: globalTraits(),
  defaults: {},
  create(machine) {
    // Pages this instance put back into the direct map (and must take out again).
    const held = new Set();
    return {
      name: 'kmap-restore',
      traits: this.traits,
      map(_mc, pfn) {
        if (!machine.directMap.isPresent(pfn)) {
          machine.restoreToDirectMap(pfn);
          held.add(pfn);
        }
        return { ok: true, khva: machine.pageAddress(pfn) };
      },
      unmap(mc, khva, pfn) {
        if (!held.delete(pfn)) return;
        machine.removeFromDirectMap(pfn);
        machine.flushTlbKernelRange(mc.ctx.cpu, khva, khva + 4096);
      },
      reachable: () => true,
    };
  },
});
