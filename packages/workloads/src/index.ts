import type { WorkloadDefinition } from './contract.ts';
import { gmemChurn } from './gmem-churn.ts';
import { kvmclock } from './kvmclock.ts';
import { memslotChurn } from './memslot-churn.ts';
import { mixed } from './mixed.ts';
import { vmChurn } from './vm-churn.ts';
import { xenEvtchn } from './xen-evtchn.ts';

export * from './contract.ts';
export { ANON_GFN, type GuestLayout, type GuestVm, Harness, PV_GFN, SECRET_GFN } from './harness.ts';
export { gmemChurn, kvmclock, memslotChurn, mixed, vmChurn, xenEvtchn };

/** The workloads, by the names configuration uses, in the order reports list them. */
export const builtinWorkloads = [
  kvmclock,
  xenEvtchn,
  memslotChurn,
  gmemChurn,
  vmChurn,
  mixed,
] as unknown as readonly WorkloadDefinition[];
