import { describe, expect, it } from 'vitest';
import {
  DIRECT_MAP_SIZE,
  directMapPfn,
  formatVa,
  isKernelVa,
  MM_LOCAL_SIZE,
  MM_LOCAL_START,
  offsetInPage,
  PAGE_OFFSET,
  pageAddress,
  pageAlignDown,
  parseVa,
  regionOf,
  USER_TOP,
  VMALLOC_SIZE,
  VMALLOC_START,
  vpnOf,
} from '../src/index.ts';

describe('x86-64 layout', () => {
  it('places each region where the kernel does (48-bit form)', () => {
    expect(regionOf(0)).toBe('user');
    expect(regionOf(USER_TOP - 1)).toBe('user');
    expect(regionOf(USER_TOP)).toBe('unmapped-kernel');
    expect(regionOf(PAGE_OFFSET)).toBe('direct-map');
    expect(regionOf(PAGE_OFFSET + DIRECT_MAP_SIZE - 1)).toBe('direct-map');
    expect(regionOf(PAGE_OFFSET + DIRECT_MAP_SIZE)).toBe('unmapped-kernel');
    expect(regionOf(VMALLOC_START)).toBe('vmalloc');
    expect(regionOf(VMALLOC_START + VMALLOC_SIZE - 1)).toBe('vmalloc');
    expect(regionOf(MM_LOCAL_START)).toBe('mm-local');
    expect(regionOf(MM_LOCAL_START + MM_LOCAL_SIZE)).toBe('unmapped-kernel');
    expect(isKernelVa(USER_TOP)).toBe(true);
    expect(isKernelVa(USER_TOP - 1)).toBe(false);
  });

  it('prints and parses canonical addresses', () => {
    expect(formatVa(PAGE_OFFSET)).toBe('0xffff888000000000');
    expect(formatVa(VMALLOC_START)).toBe('0xffffc90000000000');
    expect(formatVa(0x7f00_0000_1000)).toBe('0x7f0000001000');
    expect(parseVa('0xffff888000000000')).toBe(PAGE_OFFSET);
    expect(parseVa('0x888000000000')).toBe(PAGE_OFFSET);
    expect(parseVa(' 0x7F0000001000 ')).toBe(0x7f00_0000_1000);
    expect(parseVa(1234)).toBe(1234);
    expect(parseVa(formatVa(MM_LOCAL_START + 0x123))).toBe(MM_LOCAL_START + 0x123);
    expect(() => parseVa('ffff')).toThrow(RangeError);
    expect(() => parseVa('0x1000000000000')).toThrow(/48-bit/);
  });

  it('splits addresses into pages and offsets, and maps pfns to the direct map and back', () => {
    expect(vpnOf(0x5123)).toBe(5);
    expect(offsetInPage(0x5123)).toBe(0x123);
    expect(pageAlignDown(0x5123)).toBe(0x5000);
    expect(pageAddress(7)).toBe(PAGE_OFFSET + 7 * 4096);
    expect(directMapPfn(pageAddress(7) + 100)).toBe(7);
  });
});
