// A kvm-clock gpc on a NO_DIRECT_MAP guest_memfd page with khva = page_address(pfn).

import { directMapBackend } from '@khva/backend-direct-map';
import { Kvm } from '@khva/kvm';
import { formatVa, runAlone } from '@khva/memory-core';
import { GfnToPfnCache, gpcUse } from '@khva/pfncache';

const kvm = new Kvm({ machine: { cpus: 4 } });
const vm = kvm.createVm('vm0');
const m = kvm.machine;
const vcpu = kvm.scheduler.spawn({ name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: vm.mm });
m.switchMm(vcpu.cpu, vm.mm);
const slot = { slot: 0, gfn: 0x100, pages: 16, backing: 'gmem', hva: 0x7e0000000000 };
runAlone(vm.setMemslot(vcpu, { ...slot, gmemFlags: { mmap: true, noDirectMap: true }, vmmMapped: false }));

const backend = directMapBackend.create(m);
const gpc = new GfnToPfnCache(vm, backend, 'pvclock');
console.log(`activate: ${runAlone(gpc.activate(vcpu, 0x100 * 4096 + 0x40, 32))}`);
console.log(`khva ${formatVa(gpc.khva)} (direct map), vmalloc in use ${m.vmalloc.bytesInUse} bytes`);
const use = runAlone(gpcUse(vcpu, gpc, { len: 32, op: 'write' }));
console.log(`pvclock write: result ${use.result}, ${use.access?.ok ? 'ok' : use.access?.reason}`);
const [oops] = m.oopses;
console.log(`oops record: cpu ${oops.cpu}, ${oops.mode}, ${oops.who}, ${oops.op} at ${oops.va}`);
console.log(
  `dead addresses handed out: ${backend.stats().deadAddresses}, exposed now ${m.oracle.figures().exposedNow}`,
);
runAlone(gpc.deactivate(vcpu));
