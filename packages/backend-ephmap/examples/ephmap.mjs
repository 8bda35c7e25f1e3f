// ephmap/mermap: every access maps the page into this CPU's slice and unmaps it with no flush;
// the slice is flushed locally when it wraps; IRQ context and other mms are turned away. The
// world is the backend testkit's: a vCPU on CPU 0, a hard IRQ on CPU 1 in an unrelated process.
import { ephmapBackend, MERMAP_USABLE_PAGES } from '@khva/backend-ephmap';
import { createTestWorld } from '@khva/backend-testkit';
import { runAlone } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';

const w = createTestWorld({ cpus: 4 });
const { machine: m, vm, threads } = w;
const backend = ephmapBackend.create(m);
const gpc = w.cache(backend, 'pvclock');
w.run('vcpu', gpc.activate(threads.vcpu, w.gmemGpa(1), 8)); // refresh runs mermap_mm_prepare; no khva is cached
console.log(`cached khva ${gpc.khva}, mm-local page-table pages ${vm.mm.localPt.tablePages}`);

const accesses = 10_000;
const c0 = m.ledger.cycles;
const ipis0 = m.ledger.counters.ipis;
for (let i = 0; i < accesses; i++) runAlone(gpcUse(threads.vcpu, gpc, { len: 8, op: 'write' }));
const perUse = (m.ledger.cycles - c0) / accesses;
const { sliceFlushes } = backend.stats();
console.log(
  `${accesses} writes: ${perUse.toFixed(2)} cycles each, ${m.ledger.counters.ipis - ipis0} IPIs, ${sliceFlushes} local flushes (one per ${MERMAP_USABLE_PAGES} maps), PTEs left ${vm.mm.localPt.size}`,
);

const fromIrq = w.run('irq', gpcUse(threads.irq, gpc, { len: 8, op: 'write', atomic: true }));
console.log(`hard IRQ in another mm -> ${fromIrq.result}, oopses ${m.oopses.length}`);
