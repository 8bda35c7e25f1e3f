import {
  BackendRegistry,
  checkBackendOptions,
  defineBackend,
  globalTraits,
  UnknownBackendError,
} from '@khva/backend-api';
import { Machine } from '@khva/memory-core';

// A backend that hands out page_address(pfn), as the kernel without the series does.
const linearBackend = defineBackend({
  name: 'linear',
  summary: 'khva = page_address(pfn)',
  traits: globalTraits(),
  defaults: {},
  create(machine, options) {
    checkBackendOptions('linear', [], options);
    return {
      name: 'linear',
      traits: this.traits,
      map: (_mc, pfn) => ({ ok: true, khva: machine.pageAddress(pfn) }),
      unmap: () => {},
      reachable: () => true,
    };
  },
});

const registry = new BackendRegistry([linearBackend]);
const machine = new Machine({ cpus: 2 });
const backend = registry.create('linear', machine);
const ctx = { cpu: machine.cpus[0], mode: 'process', who: 'example' };
const r = backend.map({ machine, vm: { name: 'vm0', mm: machine.createMm('vmm') }, ctx }, 4096);
console.log(
  `specVersion ${linearBackend.specVersion}; ${backend.name} maps pfn 4096 at 0x${r.khva.toString(16)}`,
);
try {
  registry.get('vmapp');
} catch (e) {
  console.log(`${e instanceof UnknownBackendError ? 'UnknownBackendError' : 'other'}: ${e.message}`);
}
try {
  registry.create('linear', machine, { lazy: true });
} catch (e) {
  console.log(`TypeError: ${e.message}`);
}
