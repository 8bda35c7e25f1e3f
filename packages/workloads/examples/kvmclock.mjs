// One workload on two backends with one seed: the same events, each backend's cost and risk.
import { createDefaultRegistry } from '@khva/backends';
import { kvmclock } from '@khva/workloads';

const backends = createDefaultRegistry();

const ctx = (backend) => ({
  seed: 7,
  machine: { cpus: 8, tlbEntries: 1536, ghz: 2.7, memGiB: 64 },
  kernel: { gmemInvalidation: true, flushOnZap: true, reachGuard: true },
  calibration: {},
  backend: backends.get(backend),
  onProgress() {},
});
const params = kvmclock.params.parse({ vms: 1, vcpusPerVm: 4, updates: 1000 });
for (const backend of ['direct-map', 'vmap', 'mm-local']) {
  const r = kvmclock.run(params, ctx(backend));
  console.log(
    `${backend}: ops=${r.ops} oopses=${r.safety.oopses} vaBytesPeak=${r.cost.vaBytesPeak} foreign=${r.safety.foreignExposurePageNs > 100_000 ? 'high' : 'baseline'}`,
  );
}
