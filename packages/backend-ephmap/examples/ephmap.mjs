// ephmap/mermap: every access maps the page into this CPU's slice and unmaps it with no flush;
// the slice is flushed locally when it wraps; IRQ context and other mms are turned away.
import { ephmapBackend, MERMAP_USABLE_PAGES } from '@khva/backend-ephmap';
import { Kvm } from '@khva/kvm';
import { runAlone } from '@khva/memory-core';
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
m.switchMm(m.cpu(0), vm.mm);
m.switchMm(m.cpu(1), m.createMm('other'));
const irq = kvm.scheduler.spawn({ name: 'xen-evtchn', kind: 'irq', cpu: 1, mm: null });

const backend = ephmapBackend.create(m);
const gpc = new GfnToPfnCache(vm, backend, 'pvclock');
runAlone(gpc.activate(vcpu, 0x1000, 8)); // refresh runs mermap_mm_prepare; no khva is cached
console.log(`cached khva ${gpc.khva}, mm-local page-table pages ${vm.mm.localPt.tablePages}`);

const accesses = 10_000;
const c0 = m.ledger.cycles;
const ipis0 = m.ledger.counters.ipis;
for (let i = 0; i < accesses; i++) runAlone(gpcUse(vcpu, gpc, { len: 8, op: 'write' }));
const perUse = (m.ledger.cycles - c0) / accesses;
const { sliceFlushes } = backend.stats();
console.log(
  `${accesses} writes: ${perUse.toFixed(2)} cycles each, ${m.ledger.counters.ipis - ipis0} IPIs, ${sliceFlushes} local flushes (one per ${MERMAP_USABLE_PAGES} maps), PTEs left ${vm.mm.localPt.size}`,
);

const fromIrq = runAlone(gpcUse(irq, gpc, { len: 8, op: 'write', atomic: true }));
console.log(`hard IRQ in another mm -> ${fromIrq.result}, oopses ${m.oopses.length}`);
