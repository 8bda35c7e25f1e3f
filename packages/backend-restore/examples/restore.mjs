// restore: the page's direct-map PTE is back while a cache holds it, and goes again (with a
// flush of every CPU) when the last holder lets go.
import { restoreBackend } from '@khva/backend-restore';
import { Kvm } from '@khva/kvm';
import { formatVa, runAlone } from '@khva/memory-core';
import { GfnToPfnCache, gpcUse } from '@khva/pfncache';

const kvm = new Kvm({ machine: { cpus: 4 } });
const m = kvm.machine;
const vm = kvm.createVm('vm0');
const vcpu = kvm.scheduler.spawn({ name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: vm.mm });
const gmemFlags = { mmap: true, noDirectMap: true };
runAlone(
  vm.setMemslot(vcpu, {
    slot: 0,
    gfn: 0,
    pages: 16,
    backing: 'gmem',
    hva: 0x7e0000000000,
    gmemFlags,
    vmmMapped: false,
  }),
);
m.switchMm(m.cpu(1), m.createMm('other'));
const irq = kvm.scheduler.spawn({ name: 'xen-evtchn', kind: 'irq', cpu: 1, mm: null });

const backend = restoreBackend.create(m);
const gpc = new GfnToPfnCache(vm, backend, 'shared_info');
runAlone(gpc.activate(vcpu, 0x1000, 8));
const pfn = gpc.pfn;
const fromIrq = runAlone(gpcUse(irq, gpc, { len: 8, op: 'write', atomic: true }));
console.log(
  `khva ${formatVa(gpc.khva)} (page_address); in direct map: ${m.directMap.isPresent(pfn)}; IRQ in another mm -> ${fromIrq.result}`,
);
console.log(`reachable from: ${JSON.stringify(m.reachability(pfn).mms)} mms`);

const ipis = m.ledger.counters.ipis;
runAlone(gpc.deactivate(vcpu));
console.log(
  `after deactivate: in direct map: ${m.directMap.isPresent(pfn)}; flush IPIs ${m.ledger.counters.ipis - ipis}`,
);
