// A third-party backend plugged in by name, without touching khva's packages: a "kmap-restore"
// strategy that puts the direct-map PTE back for as long as a cache maps the page.
import { createDefaultRegistry } from '@khva/backends';
import { defineBackend } from '@khva/pfncache';
import { runScenarioFile } from '@khva/pfncache/scenario';

const held = new Map();
export const kmapRestore = defineBackend({
  name: 'kmap-restore',
  summary: 'restore the direct-map PTE while mapped, remove it again with a global flush on unmap',
  traits: {
    kind: 'global',
    usableFromIrq: true,
    usableFromForeignMm: true,
    mayRefuseRam: false,
    needsReachGuard: false,
    lazyFlush: false,
  },
  defaults: {},
  create(machine) {
    return {
      name: 'kmap-restore',
      traits: this.traits,
      map(_mc, pfn) {
        if (!machine.directMap.isPresent(pfn)) {
          machine.restoreToDirectMap(pfn);
          held.set(pfn, true);
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

const registry = createDefaultRegistry([kmapRestore]);
console.log(`backends: ${registry.names().join(', ')}`);
const file = new URL('../scenarios/kvmclock-and-xen-irq.yaml', import.meta.url).pathname;
const run = runScenarioFile(file, { registry, backend: 'kmap-restore' });
for (const t of run.trace)
  console.log(`${t.step} ${t.thread} ${t.op}: ${JSON.stringify(t.result)}${t.oops ? ' OOPS' : ''}`);
