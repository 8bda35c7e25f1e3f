// One world from a backend factory: a VM with a no-direct-map guest_memfd slot, a vCPU, a cache;
// observed as one step. Any BackendFactory object will do: here one written on the spot that hands
// out page_address() (it oopses on the page) and @khva/backend-api's test double (it maps the page).
// The same world over the built-in direct-map and vmap backends: @khva/backends' examples/host.mjs.

import { defineBackend, globalTraits } from '@khva/backend-api';
import { testBackend } from '@khva/backend-api/testing';
import { Host } from '@khva/host';
import { gpcUse } from '@khva/pfncache';

const pageAddress = defineBackend({
  name: 'page-address',
  summary: 'khva = page_address(pfn), present in the direct map or not',
  traits: globalTraits(),
  defaults: {},
  create: () => ({
    name: 'page-address',
    traits: globalTraits(),
    map: (mc, pfn) => ({ ok: true, khva: mc.machine.pageAddress(pfn) }),
    unmap() {},
  }),
});
const double = defineBackend({
  name: 'test-double',
  summary: 'page_address in the direct map, a vmalloc PTE out of it',
  traits: globalTraits(),
  defaults: {},
  create: () => testBackend(),
});

// Slot 0: guest_memfd with MMAP | NO_DIRECT_MAP, its pages out of the direct map once handed out.
const gmem = { mmap: true, noDirectMap: true };
const slot = { slot: 0, gfn: 0, pages: 16, backing: 'gmem', gmemFlags: gmem, hva: 0x7e0000000000 };

for (const backend of [pageAddress, double]) {
  const host = new Host({ machine: { cpus: 2 }, backend });
  const pv = host.createCache('pv', host.addVm({ name: 'vm0', memslots: [slot] }));
  const vcpu = host.addThread({ name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 });
  // One observed step: activate the cache, then write through it as a kvm-clock update does.
  const step = host.observe();
  const r = host.run(vcpu, pv.activate(vcpu, 0x1000, 8));
  host.run(vcpu, gpcUse(vcpu, pv, { len: 8, op: 'write', offset: 0, bytes: 8, atomic: false }));
  const seen = step.end();
  const oopses = seen.oops?.length ?? 0;
  console.log(
    `${backend.name}: activate ${r}, map calls ${seen.deltas.mapCalls}, oopses ${oopses}, violations [${seen.violations.join(', ')}]`,
  );
}
