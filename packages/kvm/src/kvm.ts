import {
  Machine,
  type MachineOptions,
  ModelUsageError,
  PAGE_SIZE,
  runAlone,
  Scheduler,
  type SimThread,
} from '@khva/memory-core';
import { type KernelOptions, type KernelOptionsInput, resolveKernelOptions } from './kernel-options.ts';
import { Vm } from './vm.ts';

export interface KvmOptions {
  readonly machine: Machine | MachineOptions;
  readonly kernel?: KernelOptionsInput;
  readonly seed?: number;
}

/** The host: one machine, one scheduler, the kernel variant being modelled, and its VMs. */
export class Kvm {
  readonly machine: Machine;
  readonly scheduler: Scheduler;
  readonly kernel: KernelOptions;
  readonly vms = new Map<number, Vm>();
  private nextVm = 1;
  private housekeeping: SimThread | null = null;

  constructor(options: KvmOptions) {
    this.machine = options.machine instanceof Machine ? options.machine : new Machine(options.machine);
    this.scheduler = new Scheduler(this.machine, options.seed ?? 1);
    this.kernel = resolveKernelOptions(options.kernel);
  }

  // Models KVM_CREATE_VM from a fresh VMM process: the VM gets that process's mm.
  createVm(name = `vm${this.nextVm}`): Vm {
    const id = this.nextVm++;
    const vm = new Vm(this.machine, id, name, this.machine.createMm(name), this.kernel);
    this.vms.set(id, vm);
    return vm;
  }

  /** A kernel thread for work that belongs to no user thread (teardown, setup). */
  kthread(): SimThread {
    if (!this.housekeeping) {
      this.housekeeping = this.scheduler.spawn({
        name: 'kvm-housekeeping',
        kind: 'kthread',
        cpu: 0,
        mm: null,
      });
    }
    return this.housekeeping;
  }

  // Models VM teardown (the VMM's exit: exit_mm, then exit_files -> kvm_destroy_vm and the last
  // fput of each guest_memfd): the VMM's memory is unmapped (anonymous pages freed) and its mm
  // torn down with its page tables and TLB entries, then the files are released (folios restored
  // to the direct map and freed). Caches must have been deactivated first, as vCPU teardown does.
  // Unlike the kernel, runs as one step on a housekeeping kthread.
  destroyVm(vm: Vm): void {
    if (!vm.alive) return;
    if (vm.gpcList.size > 0) {
      throw new ModelUsageError(`${vm.name}: ${vm.gpcList.size} caches still active; deactivate them first`);
    }
    const t = this.kthread();
    for (const vma of [...vm.mm.vmas]) {
      runAlone(vm.munmap(t, vma.start, (vma.end - vma.start) / PAGE_SIZE));
    }
    // The VMM exits: its mm goes first (exit_mm runs before exit_files), then the VM and its
    // guest_memfd files are released with the last file reference.
    this.machine.destroyMm(vm.mm);
    for (const f of vm.gmemFiles) runAlone(f.release(t));
    vm.memslots.slots.clear();
    vm.alive = false;
    this.vms.delete(vm.id);
  }
}
