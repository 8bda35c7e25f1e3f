export { type Errno, type ErrnoResult, isErrno } from './errno.ts';
export { type GmemFlags, type GmemUserMapping, GuestMemfd } from './guest-memfd.ts';
export { defaultKernelOptions, type KernelOptions } from './kernel-options.ts';
export { Kvm, type KvmOptions } from './kvm.ts';
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
export {
  type GmemInvalidation,
  type InflightInvalidation,
  type InvalidationSubscriber,
  type MemslotSpec,
  type Vcpu,
  Vm,
} from './vm.ts';
