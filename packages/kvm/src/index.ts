export { type Errno, type ErrnoResult, isErrno } from './errno.ts';
export { GpcList } from './gpc-list.ts';
export { type GmemFlags, type GmemUserMapping, GuestMemfd } from './guest-memfd.ts';
export type { GmemInvalidation, InflightInvalidation, InvalidationSubscriber } from './invalidation.ts';
export {
  defaultKernelOptions,
  findingFixSwitches,
  type KernelOptions,
  type KernelOptionsInput,
  type KernelSeries,
  kernelSeries,
  resolveKernelOptions,
} from './kernel-options.ts';
export { Kvm, type KvmOptions } from './kvm.ts';
export type { MemslotSpec } from './memslot-update.ts';
export {
  type Backing,
  GEN_UPDATE_IN_PROGRESS,
  INVALID_GPA,
  isErrorHva,
  isGmemOnly,
  KVM_ADDRESS_SPACE_NUM,
  KVM_HVA_ERR_BAD,
  type Memslot,
  Memslots,
} from './memslots.ts';
export { type Vcpu, Vm } from './vm.ts';
export type { GmemVmaBinding, VmmMemory } from './vmm-memory.ts';
