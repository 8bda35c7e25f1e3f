// An mm-local khva: usable wherever the VM's mm is loaded; from an IRQ in another mm the reach
// guard sends the caller to its slow path (guard off: the access oopses). The world is the
// backend testkit's on 3 CPUs: the vCPU on CPU 0, a VMM thread on CPU 2, an unrelated process
// and an IRQ on CPU 1.

import { mmLocalBackend } from '@khva/backend-mm-local';
import { createTestWorld } from '@khva/backend-testkit';
import { formatVa } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';

for (const reachGuard of [true, false]) {
  const w = createTestWorld({ cpus: 3, kernel: { reachGuard } });
  const { machine: m, vm, threads } = w;
  const backend = mmLocalBackend.create(m);
  const gpc = w.cache(backend, 'vcpu_info');
  w.run('vcpu', gpc.activate(threads.vcpu, w.gmemGpa(2), 8));
  const fromVcpu = w.run('vcpu', gpcUse(threads.vcpu, gpc, { len: 8, op: 'write' }));
  const fromIrq = w.run('irq', gpcUse(threads.irq, gpc, { len: 8, op: 'write', atomic: true }));
  const irqAccess = fromIrq.access === null ? 'no access' : fromIrq.access.ok ? 'ok' : fromIrq.access.kind;
  console.log(
    `reachGuard ${reachGuard}: khva ${formatVa(gpc.khva)}; vCPU -> ${fromVcpu.result}; IRQ in another mm -> ${fromIrq.result} (${irqAccess}); oopses ${m.oopses.length}`,
  );

  w.run('vcpu', gpc.deactivate(threads.vcpu));
  backend.purge(m.cpu(0));
  const { purges, purgeIpis } = backend.stats();
  console.log(
    `  deactivate + purge: ${purges} mm-targeted flush, ${purgeIpis} IPIs, mm-local mappings ${vm.mm.localPt.size}`,
  );
}
