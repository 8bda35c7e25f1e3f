// A kvm-clock-style cache on a NO_DIRECT_MAP guest_memfd page, with the test double of
// @khva/backend-api/testing, which maps such pages into vmalloc space (the seed patch in
// miniature). Run: node examples/kvmclock-cache.mjs
import { testBackend } from '@khva/backend-api/testing';
import { Kvm } from '@khva/kvm';
import { formatVa, runAlone } from '@khva/memory-core';
import { GfnToPfnCache, gpcUse } from '@khva/pfncache';

const kvm = new Kvm({ machine: { cpus: 4 } });
const vm = kvm.createVm('vm0');
runAlone(
  vm.setMemslot(kvm.kthread(), {
    slot: 0,
    gfn: 0,
    pages: 16,
    backing: 'gmem',
    hva: 0x7e0000000000,
    gmemFlags: { mmap: true, noDirectMap: true },
    vmmMapped: false,
  }),
);
const backend = testBackend();
const vcpu = kvm.scheduler.spawn({ name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: vm.mm });
const gpc = new GfnToPfnCache(vm, backend, 'pvclock');

vcpu.start(gpc.activate(vcpu, 0x1000, 32));
kvm.scheduler.runToCompletion(vcpu);
console.log(`activate: valid=${gpc.valid} pfn=${gpc.pfn} khva=${formatVa(gpc.khva)}`);
console.log(`page in the direct map: ${kvm.machine.directMap.isPresent(gpc.pfn)}`);

vcpu.start(gpcUse(vcpu, gpc, { len: 32, op: 'write' }));
kvm.scheduler.runToCompletion(vcpu);
console.log(`kvm-clock write: result=${vcpu.result.result} oops=${kvm.machine.oopses.length}`);
