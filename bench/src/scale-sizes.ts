// The scale suite's shape: 16 VMs x 64 vCPUs (plus 64 unrelated processes where a workload has
// them) on every CPU count, so that only the CPU count changes between 64, 256 and 1,024.

export interface ScaleRunRequest {
  readonly workload: string;
  readonly backend: string;
  readonly cpus: number;
  /** gpc accesses to aim for (each workload's own event count is derived from it). */
  readonly events: number;
}

export interface ScaleRunResult extends ScaleRunRequest {
  /** gpc accesses the run made. */
  readonly ops: number;
  /** Wall-clock seconds of the run (setup included). */
  readonly seconds: number;
  /** CPU seconds the run's process used (user + system): what one core spent, whatever else ran. */
  readonly cpuSeconds: number;
  /** The part of cpuSeconds before the workload's first event (building VMs, vCPUs, caches). */
  readonly setupCpuSeconds: number;
  /** The part of cpuSeconds after the workload's last progress report (result and final purge). */
  readonly teardownCpuSeconds: number;
  /** Peak resident set of the run's process (getrusage ru_maxrss). */
  readonly peakRssMiB: number;
}

const VMS = 16;
const VCPUS = 64;
const OTHERS = 64;

/** Workload parameters for about `events` gpc accesses (per-workload accesses per event below). */
export function workloadParams(workload: string, events: number): Record<string, number> {
  const n = (per: number) => Math.max(1, Math.round(events / per));
  switch (workload) {
    case 'kvmclock':
      return { vms: VMS, vcpusPerVm: VCPUS, updates: n(1) };
    case 'xen-evtchn':
      // One shared_info check per event, a vcpu_info one or a slow-path pair after it.
      return { vms: VMS, vcpusPerVm: VCPUS, otherProcesses: OTHERS, events: n(2) };
    case 'memslot-churn':
      // Two caches used usesPerChange (8) times per memslot change.
      return { vms: VMS, vcpusPerVm: VCPUS, changes: n(16) };
    case 'gmem-churn':
      // usesPerPunch (2) accesses per punch-hole.
      return { vms: VMS, vcpusPerVm: VCPUS, punches: n(2) };
    case 'vm-churn':
      // Each short-lived VM: its vCPUs x updatesPerVcpu (4) clock updates.
      return { vms: n(VCPUS * 4), vcpusPerVm: VCPUS };
    case 'mixed':
      return { vms: VMS, vcpusPerVm: VCPUS, otherProcesses: OTHERS, events: n(1) };
    default:
      throw new Error(`scale suite: no size for workload ${workload}`);
  }
}
