// A kvm-clock gpc on a NO_DIRECT_MAP guest_memfd page, mapped by the vmap backend, in the backend
// testkit's world (the VM, its guest_memfd slot at gfn 0x100, a vCPU on CPU 0, and on CPU 1 an
// unrelated process with an IRQ thread).

import { createTestWorld } from '@khva/backend-testkit';
import { vmapBackend } from '@khva/backend-vmap';
import { formatVa } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';

const w = createTestWorld({ cpus: 4 });
const { machine: m, threads } = w;
const backend = vmapBackend.create(m);
const gpc = w.cache(backend, 'pvclock');
console.log(`activate: ${w.run('vcpu', gpc.activate(threads.vcpu, w.gmemGpa(0, 0x40), 32))}`);
console.log(`khva ${formatVa(gpc.khva)} (vmalloc), vmalloc in use ${m.vmalloc.bytesInUse} bytes`);
const use = w.run('vcpu', gpcUse(threads.vcpu, gpc, { len: 32, op: 'write' }));
console.log(`pvclock write: result ${use.result}, ok ${use.access?.ok}`);

// An IRQ on another CPU, in another process's mm, reaches the page too (global mapping).
const irq = w.access('irq', gpc.khva, 8, 'read');
console.log(
  `IRQ on cpu 1 in another mm: ok ${irq.ok}, foreign exposed now ${m.oracle.figures().foreignExposedNow}`,
);

w.run('vcpu', gpc.deactivate(threads.vcpu));
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
