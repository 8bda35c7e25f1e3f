// One world from a backend factory: a VM with a no-direct-map guest_memfd slot, a vCPU, a cache;
// each step observed. direct-map's page_address() oopses on the page; vmap maps it.

import { directMapBackend } from '@khva/backend-direct-map';
import { vmapBackend } from '@khva/backend-vmap';
import { Host } from '@khva/host';
import { gpcUse } from '@khva/pfncache';

for (const backend of [directMapBackend, vmapBackend]) {
  const host = new Host({ machine: { cpus: 2 }, backend });
  const vm = host.addVm({
    name: 'vm0',
    memslots: [
      {
        slot: 0,
        gfn: 0,
        pages: 16,
        backing: 'gmem',
        gmemFlags: { mmap: true, noDirectMap: true },
        hva: 0x7e0000000000,
      },
    ],
  });
  const vcpu = host.addThread({ name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 });
  const pv = host.createCache('pv', vm);
  const activate = host.observe();
  const r = host.run(vcpu, pv.activate(vcpu, 0x1000, 8));
  const a = activate.end();
  const use = host.observe();
  host.run(vcpu, gpcUse(vcpu, pv, { len: 8, op: 'write', offset: 0, bytes: 8, atomic: false }));
  const u = use.end();
  console.log(
    `${backend.name}: activate ${r} (map calls ${a.deltas.mapCalls}); use: oopses ${u.oops?.length ?? 0}, use-after-free ${u.useAfterFree}, violations [${u.violations.join(', ')}]`,
  );
}
