// One run of the scale suite, in its own process so its peak RSS is its own: a workload on a
// backend at a CPU count, sized for about `events` gpc accesses. Prints one JSON line.
import { performance } from 'node:perf_hooks';
import { createDefaultRegistry } from '@khva/backends';
import { builtinWorkloads } from '@khva/workloads';
import { type ScaleRunRequest, type ScaleRunResult, workloadParams } from './scale-sizes.ts';

const request = JSON.parse(process.argv[2] ?? '{}') as ScaleRunRequest;
const definition = builtinWorkloads.find((w) => w.name === request.workload);
if (!definition) {
  console.error(`unknown workload ${request.workload}`);
  process.exit(2);
}
const params = definition.params.parse(workloadParams(request.workload, request.events));
const started = performance.now();
const cpuStarted = process.cpuUsage();
const cpuSecondsSince = (from: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
};
// Workloads first report progress after their first event: what came before is setup (VMs,
// vCPUs, caches), which grows with the CPU count by design and is measured apart. Their last
// report (1) comes before the result: what follows is teardown (the backend's final purge, which
// flushes every CPU's TLB of what the run left), measured apart too; it is paid once per run.
let setupCpuSeconds: number | undefined;
let doneCpuSeconds: number | undefined;
const result = definition.run(params, {
  seed: 7,
  machine: { cpus: request.cpus, tlbEntries: 1536, ghz: 2.7, memGiB: 64 },
  kernel: { gmemInvalidation: true, flushOnZap: true, reachGuard: true },
  calibration: {},
  backend: createDefaultRegistry().get(request.backend),
  onProgress(fraction) {
    setupCpuSeconds ??= cpuSecondsSince(cpuStarted);
    if (fraction >= 1) doneCpuSeconds ??= cpuSecondsSince(cpuStarted);
  },
});
const seconds = (performance.now() - started) / 1000;
const cpuSeconds = cpuSecondsSince(cpuStarted);
const out: ScaleRunResult = {
  ...request,
  ops: result.ops,
  seconds,
  cpuSeconds,
  setupCpuSeconds: setupCpuSeconds ?? 0,
  teardownCpuSeconds: cpuSeconds - (doneCpuSeconds ?? cpuSeconds),
  peakRssMiB: process.resourceUsage().maxRSS / 1024,
};
console.log(JSON.stringify(out));
