// A kvm-clock gpc on a NO_DIRECT_MAP guest_memfd page with khva = page_address(pfn), in the
// backend testkit's world (the VM, its guest_memfd slot at gfn 0x100 and a vCPU on CPU 0).

import { directMapBackend } from '@khva/backend-direct-map';
import { createTestWorld } from '@khva/backend-testkit';
import { formatVa } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';

const w = createTestWorld({ cpus: 4 });
const { machine: m, threads } = w;
const backend = directMapBackend.create(m);
const gpc = w.cache(backend, 'pvclock');
console.log(`activate: ${w.run('vcpu', gpc.activate(threads.vcpu, w.gmemGpa(0, 0x40), 32))}`);
console.log(`khva ${formatVa(gpc.khva)} (direct map), vmalloc in use ${m.vmalloc.bytesInUse} bytes`);
const use = w.run('vcpu', gpcUse(threads.vcpu, gpc, { len: 32, op: 'write' }));
console.log(`pvclock write: result ${use.result}, ${use.access?.ok ? 'ok' : use.access?.reason}`);
const [oops] = m.oopses;
console.log(`oops record: cpu ${oops.cpu}, ${oops.mode}, ${oops.who}, ${oops.op} at ${oops.va}`);
console.log(
  `dead addresses handed out: ${backend.stats().deadAddresses}, exposed now ${m.oracle.figures().exposedNow}`,
);
w.run('vcpu', gpc.deactivate(threads.vcpu));
