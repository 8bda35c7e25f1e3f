import { PAGE_SIZE, type Va } from '@khva/memory-core';
import type { GuestMemfd } from './guest-memfd.ts';

/** KVM_HVA_ERR_BAD: the error hva (kvm_is_error_hva). */
export const KVM_HVA_ERR_BAD = -1;
/** INVALID_GPA. */
export const INVALID_GPA = -1;
/** KVM_MEMSLOT_GEN_UPDATE_IN_PROGRESS, as a flag added to the generation. */
export const GEN_UPDATE_IN_PROGRESS = 2 ** 52;
/** x86 has two address spaces (normal and SMM): the generation moves by 2 per update. */
export const KVM_ADDRESS_SPACE_NUM = 2;

export const isErrorHva = (hva: number): boolean => hva === KVM_HVA_ERR_BAD;

export type Backing = 'anon' | 'gmem';

export interface Memslot {
  readonly id: number;
  readonly baseGfn: number;
  readonly npages: number;
  /** userspace_addr: where the VMM's memory for this slot lives (for gmem: where the file is mapped). */
  readonly userspaceAddr: Va;
  readonly backing: Backing;
  readonly gmem: GuestMemfd | null;
  /** Page offset of the slot inside the gmem file. */
  readonly gmemPgoff: number;
  /** KVM_MEMSLOT_INVALID: set on the transient copy published while a slot is deleted or moved. */
  readonly invalid: boolean;
}

/** A gmem-only slot (guest_memfd created with MMAP): every gfn is backed by the file. */
export const isGmemOnly = (slot: Memslot): boolean => slot.gmem?.flags.mmap === true;

/** The set of memslots the VM currently publishes, with its generation. */
export class Memslots {
  generation = 0;
  readonly slots = new Map<number, Memslot>();

  // Models __gfn_to_memslot(): the slot containing gfn (invalid slots are still found).
  gfnToMemslot(gfn: number): Memslot | null {
    for (const s of this.slots.values()) if (gfn >= s.baseGfn && gfn < s.baseGfn + s.npages) return s;
    return null;
  }

  // Models gfn_to_hva_memslot_prot() for a write: an invalid or missing slot gives the error hva.
  gfnToHva(slot: Memslot | null, gfn: number): Va {
    if (!slot || slot.invalid) return KVM_HVA_ERR_BAD;
    return slot.userspaceAddr + (gfn - slot.baseGfn) * PAGE_SIZE;
  }

  /** The slot whose userspace range contains hva (for mmu-notifier overlap). */
  hvaToMemslot(hva: Va): Memslot | null {
    for (const s of this.slots.values()) {
      if (hva >= s.userspaceAddr && hva < s.userspaceAddr + s.npages * PAGE_SIZE) return s;
    }
    return null;
  }

  overlapsHva(start: Va, end: Va): boolean {
    for (const s of this.slots.values()) {
      const s0 = s.userspaceAddr;
      const s1 = s0 + s.npages * PAGE_SIZE;
      if (start < s1 && s0 < end) return true;
    }
    return false;
  }
}
