// memremap for a guest_memfd page removed from the direct map: strict, strict+skipAbsent, relaxed.

import { memremapRelaxedBackend, memremapStrictBackend } from '@khva/backend-memremap';
import { Kvm } from '@khva/kvm';
import { formatVa, runAlone } from '@khva/memory-core';
import { GfnToPfnCache, gpcUse } from '@khva/pfncache';

for (const [factory, options] of [
  [memremapStrictBackend, {}],
  [memremapStrictBackend, { skipAbsent: true }],
  [memremapRelaxedBackend, {}],
]) {
  const kvm = new Kvm({ machine: { cpus: 4 } });
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

  const backend = factory.create(kvm.machine, options);
  const gpc = new GfnToPfnCache(vm, backend, 'pvclock');
  const label = `${backend.name}${options.skipAbsent ? ' (skipAbsent)' : ''}`;
  const activated = runAlone(gpc.activate(vcpu, 0x1000, 8));
  if (activated !== 0) {
    console.log(
      `${label}: activate -> ${activated}; stats ${JSON.stringify({ ramRefusedWarnings: backend.stats().ramRefusedWarnings })}`,
    );
    continue;
  }
  const use = runAlone(gpcUse(vcpu, gpc, { len: 8, op: 'write' }));
  const outcome = use.access.ok ? 'write ok' : `${use.access.kind}: ${use.access.reason}`;
  const rows = ['regionIntersects', 'memtypeReserve', 'vmapVaAlloc', 'ioremapPteSet'];
  const cycles = rows.reduce((sum, row) => sum + (kvm.machine.ledger.byRow.get(row) ?? 0), 0);
  console.log(`${label}: khva ${formatVa(gpc.khva)}, memremap work ${cycles} cycles -> ${outcome}`);
}
