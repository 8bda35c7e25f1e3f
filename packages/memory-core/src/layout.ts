// x86-64 4-level paging layout, in 48-bit form: kernel addresses are kept without their
// sign-extension (0xffff888000000000 is held as 0x888000000000) so every address fits exactly
// in a JS number. `formatVa` prints the canonical form a kernel engineer expects.

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PAGES_PER_2M = 512;
export const PAGES_PER_1G = 512 * 512;

/** Virtual address, 48-bit (see file comment). */
export type Va = number;
/** Physical frame number. */
export type Pfn = number;

export const USER_TOP = 0x8000_0000_0000;
/** PAGE_OFFSET: start of the direct map (page_offset_base without KASLR). */
export const PAGE_OFFSET = 0x8880_0000_0000;
export const DIRECT_MAP_SIZE = 64 * 2 ** 40;
/** VMALLOC_START: vmalloc/ioremap space, shared by every mm. */
export const VMALLOC_START = 0xc900_0000_0000;
export const VMALLOC_SIZE = 32 * 2 ** 40;
/** The mm-local region: one PGD slot (512 GiB) whose page tables are private to each mm. */
export const MM_LOCAL_START = 0xeb00_0000_0000;
export const MM_LOCAL_SIZE = 512 * 2 ** 30;

export type Region = 'user' | 'direct-map' | 'vmalloc' | 'mm-local' | 'unmapped-kernel';

export function regionOf(va: Va): Region {
  if (va < USER_TOP) return 'user';
  if (va >= PAGE_OFFSET && va < PAGE_OFFSET + DIRECT_MAP_SIZE) return 'direct-map';
  if (va >= VMALLOC_START && va < VMALLOC_START + VMALLOC_SIZE) return 'vmalloc';
  if (va >= MM_LOCAL_START && va < MM_LOCAL_START + MM_LOCAL_SIZE) return 'mm-local';
  return 'unmapped-kernel';
}

export const isKernelVa = (va: Va): boolean => va >= USER_TOP;
export const vpnOf = (va: Va): number => Math.floor(va / PAGE_SIZE);
// Addresses above 2^31 are doubles, whose `%` is a slow library call: divide by the page size
// (exact for a power of two) instead; negative input keeps `%`'s sign.
export const offsetInPage = (va: number): number =>
  va >= 0 ? va - Math.floor(va / PAGE_SIZE) * PAGE_SIZE : va % PAGE_SIZE;
export const pageAlignDown = (va: number): number => va - offsetInPage(va);

/** page_address() for a lowmem page on x86-64: the direct-map alias of the frame. */
export const pageAddress = (pfn: Pfn): Va => PAGE_OFFSET + pfn * PAGE_SIZE;
export const directMapPfn = (va: Va): Pfn => Math.floor((va - PAGE_OFFSET) / PAGE_SIZE);

/** Canonical 64-bit hex of a 48-bit model address (kernel half sign-extended). */
export function formatVa(va: Va): string {
  const hex = va.toString(16).padStart(12, '0');
  return va >= USER_TOP ? `0xffff${hex}` : `0x${hex}`;
}

/** Parse an address written canonically (0xffff...) or in 48-bit form; throws RangeError. */
export function parseVa(text: string | number): Va {
  if (typeof text === 'number') return text;
  const t = text.trim().toLowerCase();
  if (!/^0x[0-9a-f]+$/.test(t)) throw new RangeError(`not a hex address: ${text}`);
  let v = BigInt(t);
  if (v >= 0xffff_8000_0000_0000n) v -= 0xffff_0000_0000_0000n;
  if (v >= 2n ** 48n) throw new RangeError(`address out of the 48-bit space: ${text}`);
  return Number(v);
}
