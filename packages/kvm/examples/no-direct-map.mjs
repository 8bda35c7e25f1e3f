// A VM with one guest_memfd memslot created with MMAP | NO_DIRECT_MAP: its pages are in the
// kernel direct map when allocated and leave it the first time KVM hands them out.

import { Kvm } from '@khva/kvm';
import { runAlone } from '@khva/memory-core';

const kvm = new Kvm({ machine: { cpus: 4 }, kernel: { flushOnZap: true } });
const m = kvm.machine;
const vm = kvm.createVm('vm0');
const vmm = kvm.scheduler.spawn({ name: 'vmm', kind: 'host', cpu: 0, mm: vm.mm });

// KVM_SET_USER_MEMORY_REGION2: 16 pages at gfn 0, backed by a new guest_memfd the VMM maps at hva.
runAlone(
  vm.setMemslot(vmm, {
    slot: 0,
    gfn: 0,
    pages: 16,
    backing: 'gmem',
    hva: 0x7e00_0000_0000,
    gmemFlags: { mmap: true, noDirectMap: true },
  }),
);
const slot = vm.memslots.gfnToMemslot(0);
slot.gmem.allocate(0, 4); // fallocate(): four folios, not handed out yet

// Another CPU dereferences page_address(pfn), as kernel code using the direct map would.
const probe = { cpu: m.cpu(1), mode: 'process', who: 'probe' };
function show(when) {
  for (const [index, pfn] of slot.gmem.folios) {
    const present = m.directMap.isPresent(pfn) ? 'present' : 'absent ';
    const r = m.access(probe, m.pageAddress(pfn), 8, 'read');
    console.log(`${when}: gfn ${index} pfn ${pfn} direct map ${present} read ${r.ok ? 'ok' : r.kind}`);
  }
}

show('before');
for (let gfn = 0; gfn < 4; gfn++) {
  const pfn = vm.gmemGetPfn(vmm.ctx, slot, gfn); // kvm_gmem_get_pfn: removes the page on first use
  vm.releasePage(pfn);
}
show('after ');
const c = m.ledger.counters;
console.log(`direct-map pages absent: ${m.directMap.absentPages}, leaf splits: ${c.directMapSplits}`);
console.log(`kernel TLB flushes: ${c.tlbFlushesGlobal}, IPIs: ${c.ipis}, oopses: ${c.oopses}`);
