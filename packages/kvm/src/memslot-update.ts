import { PAGE_SIZE, type Sensitivity, type SimThread, type ThreadBody, type Va } from '@khva/memory-core';
import type { ErrnoResult } from './errno.ts';
import type { GmemFlags, GuestMemfd } from './guest-memfd.ts';
import { type Backing, GEN_UPDATE_IN_PROGRESS, KVM_ADDRESS_SPACE_NUM, type Memslot } from './memslots.ts';
import type { Vm } from './vm.ts';

export interface MemslotSpec {
  readonly slot: number;
  readonly gfn: number;
  readonly pages: number;
  readonly backing: Backing;
  /** userspace_addr (for gmem: where the VMM maps the file, if it does). */
  readonly hva: Va;
  /** guest_memfd flags (gmem backing only). */
  readonly gmemFlags?: GmemFlags;
  /** The VMM has the gmem file mapped at hva (default: true when the file allows mmap). */
  readonly vmmMapped?: boolean;
  /** Sensitivity of the slot's pages (default: secret for gmem, none for anon VMM memory). */
  readonly sensitivity?: Sensitivity;
}

// Models __kvm_set_memory_region() (KVM_SET_USER_MEMORY_REGION2) for create and move; a move
// publishes an invalid copy first, then the final set: two swaps. Unlike the kernel, a gmem
// slot gets a new file of its own (pgoff 0) and the VMM's memory at hva is mapped here too.
export function* setMemslot(vm: Vm, t: SimThread, spec: MemslotSpec): ThreadBody<ErrnoResult | 0> {
  const err = checkSpec(spec);
  if (err) return err;
  const old = vm.memslots.slots.get(spec.slot);
  if (old) {
    // guest_memfd slots are immutable (they can only be deleted), as __kvm_set_memory_region says.
    if (old.gmem || spec.backing === 'gmem') {
      return { errno: 'EINVAL', reason: `slot ${spec.slot}: a guest_memfd memslot can only be deleted` };
    }
    // A move: only the base gfn may change, as the kernel requires.
    if (old.npages !== spec.pages || old.userspaceAddr !== spec.hva || old.backing !== spec.backing) {
      return { errno: 'EINVAL', reason: `slot ${spec.slot}: only the gfn of an existing slot can change` };
    }
    if (old.baseGfn === spec.gfn) return 0;
    const overlap = checkOverlap(vm, spec);
    if (overlap) return overlap;
    yield* swapMemslots(vm, t, () => vm.memslots.slots.set(old.id, { ...old, invalid: true }));
    yield* swapMemslots(vm, t, () =>
      vm.memslots.slots.set(old.id, { ...old, baseGfn: spec.gfn, invalid: false }),
    );
    vm.event(() => `memslot ${spec.slot}: moved to gfn ${spec.gfn}`);
    return 0;
  }
  const overlap = checkOverlap(vm, spec);
  if (overlap) return overlap;
  let gmem: GuestMemfd | null = null;
  if (spec.backing === 'gmem') {
    const flags = spec.gmemFlags ?? { mmap: false, noDirectMap: false };
    gmem = vm.createGmem(spec.pages, flags, spec.sensitivity ?? 'secret');
    if (flags.mmap && (spec.vmmMapped ?? true)) vm.mapGmem(gmem, spec.hva, 0, spec.pages);
  }
  if (!gmem?.flags.mmap) {
    // The VMM's own memory at userspace_addr (for a gmem slot without MMAP, its shared view).
    if (!vm.mm.findVma(spec.hva)) vm.mapAnon(spec.hva, spec.pages, spec.sensitivity ?? 'none');
  }
  const slot: Memslot = {
    id: spec.slot,
    baseGfn: spec.gfn,
    npages: spec.pages,
    userspaceAddr: spec.hva,
    backing: spec.backing,
    gmem,
    gmemPgoff: 0,
    invalid: false,
  };
  yield* swapMemslots(vm, t, () => vm.memslots.slots.set(slot.id, slot));
  vm.event(() => `memslot ${spec.slot}: created (${spec.backing})`);
  return 0;
}

// Models __kvm_set_memory_region() with size 0 (KVM_MR_DELETE): the invalid copy, then the set
// without the slot: two swaps. The gmem file stays until released (no kvm_gmem_unbind).
export function* deleteMemslot(vm: Vm, t: SimThread, id: number): ThreadBody<ErrnoResult | 0> {
  const old = vm.memslots.slots.get(id);
  if (!old) return { errno: 'EINVAL', reason: `slot ${id} does not exist` };
  yield* swapMemslots(vm, t, () => vm.memslots.slots.set(id, { ...old, invalid: true }));
  yield* swapMemslots(vm, t, () => vm.memslots.slots.delete(id));
  vm.event(() => `memslot ${id}: deleted`);
  return 0;
}

function checkSpec(spec: MemslotSpec): ErrnoResult | null {
  if (!Number.isInteger(spec.pages) || spec.pages < 1)
    return { errno: 'EINVAL', reason: 'pages must be >= 1' };
  if (spec.hva % PAGE_SIZE !== 0) return { errno: 'EINVAL', reason: 'hva must be page aligned' };
  return null;
}

/** kvm_check_memslot_overlap(), for create and move only, as the kernel orders its checks. */
function checkOverlap(vm: Vm, spec: MemslotSpec): ErrnoResult | null {
  for (const s of vm.memslots.slots.values()) {
    if (s.id === spec.slot) continue;
    if (spec.gfn < s.baseGfn + s.npages && s.baseGfn < spec.gfn + spec.pages) {
      return { errno: 'EEXIST', reason: `gfn range overlaps slot ${s.id}` };
    }
  }
  return null;
}

// Models kvm_swap_active_memslots(): wait while invalidations hold the active count (mmu
// notifier; with the RFC hook also gmem and attributes), publish, expose generation|IN_PROGRESS
// during synchronize_srcu, then the final generation (+2 on x86). One generation, not per as_id.
function* swapMemslots(vm: Vm, t: SimThread, publish: () => void): ThreadBody<void> {
  while (vm.activeInvalidateCount > 0) {
    yield { kind: 'blocked', label: 'memslot-swap-wait', until: () => vm.activeInvalidateCount === 0 };
  }
  const gen = vm.memslots.generation;
  if (vm.activeInvalidateCount > 0) vm.publishedDuringInvalidation++;
  publish();
  vm.memslots.generation = gen + GEN_UPDATE_IN_PROGRESS;
  vm.machine.ledger.charge('memslotUpdate');
  yield { kind: 'sleep', label: 'synchronize-srcu' };
  while (vm.srcuReaders > 0) yield { kind: 'blocked', label: 'srcu', until: () => vm.srcuReaders === 0 };
  vm.memslots.generation = gen + KVM_ADDRESS_SPACE_NUM;
  void t;
}
