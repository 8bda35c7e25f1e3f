// An mm-local khva: usable wherever the VM's mm is loaded; from an IRQ in another mm the reach
// guard sends the caller to its slow path (guard off: the access oopses).
import { mmLocalBackend } from '@khva/backend-mm-local';
import { Kvm } from '@khva/kvm';
import { formatVa, runAlone } from '@khva/memory-core';
import { GfnToPfnCache, gpcUse } from '@khva/pfncache';

for (const reachGuard of [true, false]) {
  const kvm = new Kvm({ machine: { cpus: 4 }, kernel: { reachGuard } });
  const m = kvm.machine;
  const vm = kvm.createVm('vm0');
  const sched = kvm.scheduler;
  const vcpu = sched.spawn({ name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: vm.mm });
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
  m.switchMm(m.cpu(2), vm.mm); // a VMM thread runs on cpu 2
  m.switchMm(m.cpu(1), m.createMm('other')); // an unrelated process runs on cpu 1
  const irq = sched.spawn({ name: 'xen-evtchn', kind: 'irq', cpu: 1, mm: null });

  const backend = mmLocalBackend.create(m);
  const gpc = new GfnToPfnCache(vm, backend, 'vcpu_info');
  runAlone(gpc.activate(vcpu, 0x2000, 8));
  const fromVcpu = runAlone(gpcUse(vcpu, gpc, { len: 8, op: 'write' }));
  const fromIrq = runAlone(gpcUse(irq, gpc, { len: 8, op: 'write', atomic: true }));
  const irqAccess = fromIrq.access === null ? 'no access' : fromIrq.access.ok ? 'ok' : fromIrq.access.kind;
  console.log(
    `reachGuard ${reachGuard}: khva ${formatVa(gpc.khva)}; vCPU -> ${fromVcpu.result}; IRQ in another mm -> ${fromIrq.result} (${irqAccess}); oopses ${m.oopses.length}`,
  );

  runAlone(gpc.deactivate(vcpu));
  backend.purge(m.cpu(0));
  const { purges, purgeIpis } = backend.stats();
  console.log(
    `  deactivate + purge: ${purges} mm-targeted flush, ${purgeIpis} IPIs, mm-local mappings ${vm.mm.localPt.size}`,
  );
}
