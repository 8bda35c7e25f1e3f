// restore: the page's direct-map PTE is back while a cache holds it, and goes again (with a
// flush of every CPU) when the last holder lets go. The world is the backend testkit's: a vCPU
// on CPU 0, and a hard IRQ on CPU 1 interrupting an unrelated process.
import { restoreBackend } from '@khva/backend-restore';
import { createTestWorld } from '@khva/backend-testkit';
import { formatVa } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';

const w = createTestWorld({ cpus: 4 });
const { machine: m, threads } = w;
const backend = restoreBackend.create(m);
const gpc = w.cache(backend, 'shared_info');
w.run('vcpu', gpc.activate(threads.vcpu, w.gmemGpa(1), 8));
const pfn = gpc.pfn;
const fromIrq = w.run('irq', gpcUse(threads.irq, gpc, { len: 8, op: 'write', atomic: true }));
console.log(
  `khva ${formatVa(gpc.khva)} (page_address); in direct map: ${m.directMap.isPresent(pfn)}; IRQ in another mm -> ${fromIrq.result}`,
);
console.log(`reachable from: ${JSON.stringify(m.reachability(pfn).mms)} mms`);

const ipis = m.ledger.counters.ipis;
w.run('vcpu', gpc.deactivate(threads.vcpu));
console.log(
  `after deactivate: in direct map: ${m.directMap.isPresent(pfn)}; flush IPIs ${m.ledger.counters.ipis - ipis}`,
);
