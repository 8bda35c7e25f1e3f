import { describe, expect, it } from 'vitest';
import {
  HOST,
  MIGRATE_MOVABLE,
  MIGRATE_UNMOVABLE,
  PAGEBLOCK_PAGES,
  PageAllocator,
  PhysicalMemory,
  zoneBatchsize,
} from '../src/index.ts';

const GIB = 2 ** 18; // 4 KiB pages in 1 GiB

describe('zone_batchsize and pcp high', () => {
  it('is 63 for any zone of 1 GiB or more, small for tiny zones, never 0', () => {
    expect(zoneBatchsize(GIB)).toBe(63);
    expect(zoneBatchsize(64 * GIB)).toBe(63);
    expect(zoneBatchsize(16384)).toBe(3);
    expect(zoneBatchsize(2)).toBe(1);
    const a = new PageAllocator(4096, 4096 + GIB);
    expect([a.batch, a.high]).toEqual([63, 378]);
  });
});

describe('the page allocator by migratetype', () => {
  const big = () => new PageAllocator(4096, 4096 + GIB);

  it('keeps movable and unmovable requests in different pageblocks, and a freed page on its type', () => {
    const a = big();
    const anon = a.allocPage(0, MIGRATE_MOVABLE)!;
    const gmem = a.allocPage(0, MIGRATE_UNMOVABLE)!;
    expect(Math.floor(anon / PAGEBLOCK_PAGES)).not.toBe(Math.floor(gmem / PAGEBLOCK_PAGES));
    expect(a.blockType(anon)).toBe(MIGRATE_MOVABLE);
    expect(a.blockType(gmem)).toBe(MIGRATE_UNMOVABLE);
    // The unmovable request stole a fresh (movable) pageblock: one fallback, one claim.
    expect(a.stats).toMatchObject({ fallbacks: 1, claimed: 1 });
    a.freePage(0, anon);
    // The freed anonymous page waits on the movable list: an unmovable request does not get it.
    expect(a.pcpList(0, MIGRATE_MOVABLE)[0]).toBe(anon);
    expect(a.allocPage(0, MIGRATE_UNMOVABLE)).toBe(gmem + 1);
    expect(a.allocPage(0, MIGRATE_MOVABLE)).toBe(anon);
  });

  it('refills an empty pcp list with batch pages in physical order, per CPU', () => {
    const a = big();
    const first = a.allocPage(0, MIGRATE_MOVABLE)!;
    expect(a.pcpList(0, MIGRATE_MOVABLE)).toHaveLength(62);
    expect(a.pcpList(0, MIGRATE_MOVABLE)[0]).toBe(first + 1);
    // CPU 1 refills from the buddy past what CPU 0 took.
    expect(a.allocPage(1, MIGRATE_MOVABLE)).toBe(first + 63);
  });

  it('gives batch pages back to the buddy, oldest first, once a pcp list reaches high', () => {
    const a = big();
    const pages = Array.from({ length: 400 }, () => a.allocPage(0, MIGRATE_MOVABLE)!);
    expect(a.stats.pcpDrains).toBe(0);
    for (const p of pages) a.freePage(0, p);
    expect(a.stats.pcpDrains).toBeGreaterThan(0);
    // Never more than high pages sit on the CPU's lists.
    expect(a.pcpList(0, MIGRATE_MOVABLE).length).toBeLessThan(a.high);
    // The last page freed is the first handed out again.
    expect(a.allocPage(0, MIGRATE_MOVABLE)).toBe(pages[399]);
  });

  it('under memory pressure an unmovable request claims the pageblock of an anonymous page still in use', () => {
    // One free pageblock: the anonymous page is carved from it, then guest_memfd falls back into it.
    const a = new PageAllocator(4096, 4096 + PAGEBLOCK_PAGES, GIB);
    const anon = a.allocPage(2, MIGRATE_MOVABLE)!;
    const gmem = a.allocPage(2, MIGRATE_UNMOVABLE)!;
    expect(Math.floor(gmem / PAGEBLOCK_PAGES)).toBe(Math.floor(anon / PAGEBLOCK_PAGES));
    expect(a.blockType(anon)).toBe(MIGRATE_UNMOVABLE);
    // Freed now, the anonymous page goes on the unmovable list and is the next guest_memfd folio.
    a.freePage(2, anon);
    expect(a.allocPage(2, MIGRATE_UNMOVABLE)).toBe(anon);
  });

  it('does not claim a pageblock mostly in use by movable pages: the stolen page stays movable on free', () => {
    const a = new PageAllocator(4096, 4096 + PAGEBLOCK_PAGES, GIB);
    const anon: number[] = [];
    for (let i = 0; i < 400; i++) anon.push(a.allocPage(0, MIGRATE_MOVABLE)!);
    const gmem = a.allocPage(0, MIGRATE_UNMOVABLE)!;
    expect(a.stats).toMatchObject({ fallbacks: 1, claimed: 0 });
    expect(a.blockType(gmem)).toBe(MIGRATE_MOVABLE);
    a.freePage(0, anon[0]!);
    expect(a.pcpList(0, MIGRATE_MOVABLE)[0]).toBe(anon[0]);
  });

  it('a movable request falls back to a single page of an unmovable pageblock when nothing else is free', () => {
    const a = new PageAllocator(4096, 4096 + PAGEBLOCK_PAGES, GIB);
    const g = a.allocPage(0, MIGRATE_UNMOVABLE)!;
    expect(a.blockType(g)).toBe(MIGRATE_UNMOVABLE);
    const anon = a.allocPage(0, MIGRATE_MOVABLE)!;
    expect(a.blockType(anon)).toBe(MIGRATE_UNMOVABLE);
    expect(a.stats.fallbacks).toBeGreaterThanOrEqual(2);
    // Freed, it goes back by its pageblock's type: unmovable.
    a.freePage(0, anon);
    expect(a.pcpList(0, MIGRATE_UNMOVABLE)[0]).toBe(anon);
  });

  it('returns null when every page is handed out, and a drain brings other CPUs’ pages back', () => {
    const a = new PageAllocator(4096, 4100, 4);
    expect(a.mobilityDisabled).toBe(true);
    const got = [0, 1, 2, 3].map(() => a.allocPage(0, MIGRATE_MOVABLE)!);
    expect(a.allocPage(0, MIGRATE_MOVABLE)).toBeNull();
    a.freePage(1, got[2]!);
    expect(a.allocPage(0, MIGRATE_MOVABLE)).toBeNull();
    a.drainAllPages();
    expect(a.allocPage(0, MIGRATE_UNMOVABLE)).toBe(got[2]);
  });
});

describe('PhysicalMemory over the allocator', () => {
  it('takes the free memory from the machine: other users hold the rest', () => {
    const mem = new PhysicalMemory(GIB, 4096, PAGEBLOCK_PAGES);
    expect(mem.allocatablePages).toBe(PAGEBLOCK_PAGES);
    for (let i = 0; i < PAGEBLOCK_PAGES; i++) mem.alloc(HOST, 0);
    expect(() => mem.alloc(HOST, 0)).toThrow(/out of memory/);
    expect(() => new PhysicalMemory(GIB, 4096, 0)).toThrow(/at least one page/);
  });
});
