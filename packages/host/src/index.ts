export { Host, type HostSpec, type HostThreadSpec, type HostVmSpec } from './host.ts';
export { type StepDeltas, type StepObservation, StepObserver, totals } from './observe.ts';
