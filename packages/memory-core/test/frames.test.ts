import { describe, expect, it } from 'vitest';
import { ExhaustedError, FREE, type Frame, HOST, ModelUsageError, PhysicalMemory } from '../src/index.ts';
import { bytes } from './helpers.ts';

describe('PhysicalMemory (frames)', () => {
  it('is sparse: a frame exists once allocated, and holds bytes only once written', () => {
    const mem = new PhysicalMemory(1 << 20, 4096);
    expect(mem.frames.size).toBe(0);
    const f = mem.alloc(1, 7, 'secret');
    expect(f.pfn).toBe(4096);
    expect(mem.frames.size).toBe(1);
    expect(f.bytes).toBeNull();
    expect(mem.read(f, 8, 4)).toEqual(new Uint8Array(4));
    expect(f.bytes).toBeNull();
    mem.write(f, 8, bytes(1, 2, 3, 4));
    expect(f.bytes?.length).toBe(4096);
    expect(mem.read(f, 6, 6)).toEqual(bytes(0, 0, 1, 2, 3, 4));
  });

  it('records owner, owner mm, sensitivity tag and refcount', () => {
    const mem = new PhysicalMemory(8192, 4096);
    const f = mem.alloc(3, 12, 'pv');
    expect(f).toMatchObject({ owner: 3, ownerMm: 12, tag: 'pv', refcount: 1, gen: 0, noDirectMap: false });
    const h = mem.alloc(HOST, 0);
    expect(h).toMatchObject({ owner: HOST, tag: 'none' });
    expect(mem.allocatedPages).toBe(2);
  });

  it('frees on the last put_page, bumping the generation and keeping the old contents', () => {
    const mem = new PhysicalMemory(8192, 4096);
    const f = mem.alloc(1, 5, 'secret');
    mem.write(f, 0, bytes(0xaa));
    mem.getPage(f.pfn);
    mem.putPage(f.pfn);
    expect(f.owner).toBe(1);
    expect(f.refcount).toBe(1);
    mem.putPage(f.pfn);
    expect(f).toMatchObject({ owner: FREE, ownerMm: 0, tag: 'none', refcount: 0, gen: 1 });
    expect(mem.allocatedPages).toBe(0);
    // A stale reader still sees the previous owner's data.
    expect(mem.read(f, 0, 1)).toEqual(bytes(0xaa));
    expect(() => mem.putPage(f.pfn)).toThrow(ModelUsageError);
    expect(() => mem.getPage(f.pfn)).toThrow(ModelUsageError);
  });

  it('hands freed frames out again first, last freed first (LIFO), to a new owner', () => {
    const mem = new PhysicalMemory(8192, 4096);
    const a = mem.alloc(1, 5, 'secret');
    const b = mem.alloc(1, 5, 'secret');
    mem.putPage(a.pfn);
    mem.putPage(b.pfn);
    const first = mem.alloc(2, 9, 'pv');
    const second = mem.alloc(HOST, 0);
    const third = mem.alloc(HOST, 0);
    expect(first).toBe(b);
    expect(first).toMatchObject({ owner: 2, ownerMm: 9, tag: 'pv', gen: 1, refcount: 1 });
    expect(second).toBe(a);
    expect(third.pfn).toBe(b.pfn + 1);
    expect(third.gen).toBe(0);
  });

  it('runs out of frames with an ExhaustedError, and a free makes room again', () => {
    const mem = new PhysicalMemory(4100, 4096);
    const got: Frame[] = [];
    for (let i = 0; i < 4; i++) got.push(mem.alloc(HOST, 0));
    let err: unknown;
    try {
      mem.alloc(HOST, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExhaustedError);
    expect((err as ExhaustedError).resource).toBe('memory');
    expect((err as Error).message).toMatch(/out of memory/);
    mem.putPage(got[2]!.pfn);
    expect(mem.alloc(HOST, 0).pfn).toBe(got[2]!.pfn);
  });

  it('rejects allocating to FREE, and a memory smaller than the kernel image', () => {
    const mem = new PhysicalMemory(8192, 4096);
    expect(() => mem.alloc(FREE, 0)).toThrow(ModelUsageError);
    expect(() => new PhysicalMemory(4096, 4096)).toThrow(ModelUsageError);
  });

  it('knows which pfns are RAM', () => {
    const mem = new PhysicalMemory(8192, 4096);
    expect(mem.isRam(0)).toBe(true);
    expect(mem.isRam(8191)).toBe(true);
    expect(mem.isRam(8192)).toBe(false);
    expect(mem.isRam(-1)).toBe(false);
    expect(mem.isRam(1.5)).toBe(false);
  });

  it('tells its listener about every owner change, with the previous owner', () => {
    const mem = new PhysicalMemory(8192, 4096);
    const seen: Array<[number, number, number]> = [];
    const listener: Parameters<PhysicalMemory['setListener']>[0] = {
      frameOwnerChanged: (f, prev) => seen.push([f.pfn, prev, f.owner]),
    };
    mem.setListener(listener);
    const f = mem.alloc(4, 1, 'secret');
    mem.putPage(f.pfn);
    mem.alloc(HOST, 0);
    expect(seen).toEqual([
      [4096, FREE, 4],
      [4096, 4, FREE],
      [4096, FREE, HOST],
    ]);
  });
});

describe('per-CPU free lists and frame identity', () => {
  it('hands a freed frame back first to the CPU that freed it', () => {
    const mem = new PhysicalMemory(8192, 4096);
    let cpu = 0;
    mem.cpuOf = () => cpu;
    const a = mem.alloc(1, 5, 'secret');
    cpu = 1;
    mem.putPage(a.pfn);
    cpu = 0;
    const fresh = mem.alloc(2, 6);
    expect(fresh.pfn).toBe(a.pfn + 1);
    cpu = 1;
    expect(mem.alloc(2, 6).pfn).toBe(a.pfn);
  });

  it("drains other CPUs' lists before reporting out of memory", () => {
    const mem = new PhysicalMemory(4098, 4096);
    let cpu = 0;
    mem.cpuOf = () => cpu;
    const a = mem.alloc(HOST, 0);
    mem.alloc(HOST, 0);
    cpu = 1;
    mem.putPage(a.pfn);
    cpu = 0;
    expect(mem.alloc(HOST, 0).pfn).toBe(a.pfn);
    expect(() => mem.alloc(HOST, 0)).toThrow(ExhaustedError);
  });

  it('gives each life of a frame its own identity', () => {
    const mem = new PhysicalMemory(8192, 4096);
    const f = mem.alloc(3, 1, 'secret');
    expect(f.ident).toBe('o3:g0');
    mem.putPage(f.pfn);
    expect(f.ident).toBe('free');
    expect(mem.alloc(3, 1, 'secret').ident).toBe('o3:g1');
    expect(mem.alloc(1, 1, 'secret', 'vm1:gmem0:5').ident).toBe('vm1:gmem0:5');
  });
});
