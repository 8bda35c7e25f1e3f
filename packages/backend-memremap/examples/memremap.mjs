// memremap for a guest_memfd page removed from the direct map: strict, strict+skipAbsent, relaxed,
// each in a fresh copy of the backend testkit's world (a VM with a NO_DIRECT_MAP slot, a vCPU).

import { memremapRelaxedBackend, memremapStrictBackend } from '@khva/backend-memremap';
import { createTestWorld } from '@khva/backend-testkit';
import { formatVa } from '@khva/memory-core';
import { gpcUse } from '@khva/pfncache';

for (const [factory, options] of [
  [memremapStrictBackend, {}],
  [memremapStrictBackend, { skipAbsent: true }],
  [memremapRelaxedBackend, {}],
]) {
  const w = createTestWorld({ cpus: 4 });
  const vcpu = w.threads.vcpu;
  const backend = factory.create(w.machine, options);
  const gpc = w.cache(backend, 'pvclock');
  const label = `${backend.name}${options.skipAbsent ? ' (skipAbsent)' : ''}`;
  const activated = w.run(vcpu, gpc.activate(vcpu, w.gmemGpa(1), 8));
  if (activated !== 0) {
    console.log(
      `${label}: activate -> ${activated}; stats ${JSON.stringify({ ramRefusedWarnings: backend.stats().ramRefusedWarnings })}`,
    );
    continue;
  }
  const use = w.run(vcpu, gpcUse(vcpu, gpc, { len: 8, op: 'write' }));
  const outcome = use.access.ok ? 'write ok' : `${use.access.kind}: ${use.access.reason}`;
  const rows = ['regionIntersects', 'memtypeReserve', 'vmapVaAlloc', 'ioremapPteSet'];
  const cycles = rows.reduce((sum, row) => sum + (w.machine.ledger.byRow.get(row) ?? 0), 0);
  console.log(`${label}: khva ${formatVa(gpc.khva)}, memremap work ${cycles} cycles -> ${outcome}`);
}
