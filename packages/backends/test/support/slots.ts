import type { MemslotSpec } from '@khva/kvm';

/** A NO_DIRECT_MAP guest_memfd slot at gfn 0 the VMM has not mapped, and an anon slot at gfn 0x100. */
export const gmemSlot: MemslotSpec = {
  slot: 0,
  gfn: 0,
  pages: 16,
  backing: 'gmem',
  gmemFlags: { mmap: true, noDirectMap: true },
  hva: 0x7e00_0000_0000,
  vmmMapped: false,
};
export const anonSlot: MemslotSpec = {
  slot: 1,
  gfn: 0x100,
  pages: 16,
  backing: 'anon',
  hva: 0x7f00_0000_0000,
};
