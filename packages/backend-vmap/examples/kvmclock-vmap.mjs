// A kvm-clock gpc on a NO_DIRECT_MAP guest_memfd page, mapped by the vmap backend.

import { vmapBackend } from '@khva/backend-vmap';
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

const backend = vmapBackend.create(m);
const gpc = new GfnToPfnCache(vm, backend, 'pvclock');
console.log(`activate: ${runAlone(gpc.activate(vcpu, 0x100 * 4096 + 0x40, 32))}`);
console.log(`khva ${formatVa(gpc.khva)} (vmalloc), vmalloc in use ${m.vmalloc.bytesInUse} bytes`);
const use = runAlone(gpcUse(vcpu, gpc, { len: 32, op: 'write' }));
console.log(`pvclock write: result ${use.result}, ok ${use.access?.ok}`);

// An IRQ on another CPU, in another process's mm, reaches the page too (global mapping).
const other = m.createMm('other');
m.switchMm(m.cpu(1), other);
const irq = m.access({ cpu: m.cpu(1), mode: 'irq', who: 'irq1' }, gpc.khva, 8, 'read');
console.log(
  `IRQ on cpu 1 in another mm: ok ${irq.ok}, foreign exposed now ${m.oracle.figures().foreignExposedNow}`,
);

runAlone(gpc.deactivate(vcpu));
const s = backend.stats();
console.log(
  `after deactivate: lazy pages ${s.lazyPages}/${s.lazyMaxPages}, stale now ${m.oracle.figures().staleNow}`,
);
const c = m.ledger.counters;
const [flushes, ipis] = [c.tlbFlushesGlobal, c.ipis];
backend.purge(m.cpu(0));
const f = m.oracle.figures();
console.log(
  `purge: ${c.tlbFlushesGlobal - flushes} global flush, ${c.ipis - ipis} IPIs; stale now ${f.staleNow}, exposed now ${f.exposedNow}`,
);
