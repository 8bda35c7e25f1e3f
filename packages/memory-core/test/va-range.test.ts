import { describe, expect, it } from 'vitest';
import {
  Calibration,
  CostLedger,
  ExhaustedError,
  ModelUsageError,
  PAGE_SIZE,
  VaRange,
  VMALLOC_SIZE,
  VMALLOC_START,
} from '../src/index.ts';
import { machine } from './helpers.ts';

const P = PAGE_SIZE;
const BASE = 0xc900_0000_0000;

function range(pages: number): { r: VaRange; l: CostLedger } {
  const l = new CostLedger(new Calibration());
  return { r: new VaRange('test', BASE, pages * P, l), l };
}

function exhaustionOf(fn: () => unknown): ExhaustedError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExhaustedError) return e;
    throw e;
  }
  throw new Error('expected an ExhaustedError');
}

describe('VaRange (vmalloc-style VA allocator)', () => {
  it('allocates lowest address first and counts VA bytes in use and at peak', () => {
    const { r, l } = range(16);
    expect(r.alloc(2 * P)).toBe(BASE);
    expect(r.alloc(P)).toBe(BASE + 2 * P);
    expect(r.bytesInUse).toBe(3 * P);
    expect(l.counters.vaBytes).toBe(3 * P);
    r.free(BASE, 2 * P);
    expect(l.counters.vaBytes).toBe(P);
    expect(l.counters.vaBytesPeak).toBe(3 * P);
    // The freed hole at the bottom is used first.
    expect(r.alloc(P)).toBe(BASE);
    // A request larger than that hole skips it.
    expect(r.alloc(2 * P)).toBe(BASE + 3 * P);
  });

  it('coalesces freed neighbours back into one hole', () => {
    const { r } = range(3);
    const a = r.alloc(P);
    const b = r.alloc(P);
    const c = r.alloc(P);
    r.free(a, P);
    r.free(c, P);
    r.free(b, P);
    expect(r.bytesInUse).toBe(0);
    expect(r.alloc(3 * P)).toBe(BASE);
  });

  it('reports exhaustion as an ExhaustedError naming the range, and recovers after a free', () => {
    const { r } = range(4);
    for (let i = 0; i < 4; i++) r.alloc(P);
    const e = exhaustionOf(() => r.alloc(P));
    expect(e.resource).toBe('test');
    expect(e.message).toMatch(/address space exhausted \(16384 bytes in use\)/);
    r.free(BASE + P, P);
    expect(r.alloc(P)).toBe(BASE + P);
  });

  it('fails a fragmented request even when enough bytes are free in total', () => {
    const { r } = range(4);
    const vas = [r.alloc(P), r.alloc(P), r.alloc(P), r.alloc(P)];
    r.free(vas[0]!, P);
    r.free(vas[2]!, P);
    expect(() => r.alloc(2 * P)).toThrow(ExhaustedError);
  });

  it('rejects double frees, frees outside the range and bad sizes', () => {
    const { r } = range(8);
    const a = r.alloc(2 * P);
    r.free(a, 2 * P);
    expect(() => r.free(a, P)).toThrow(/double free/);
    const b = r.alloc(2 * P);
    expect(() => r.free(b + P, 2 * P)).toThrow(ModelUsageError);
    expect(() => r.free(BASE - P, P)).toThrow(/outside/);
    expect(() => r.free(BASE + 8 * P, P)).toThrow(/outside/);
    expect(() => r.alloc(0)).toThrow(/bad size/);
    expect(() => r.alloc(100)).toThrow(/bad size/);
  });

  it("exhausts the machine's 32 TiB vmalloc range as a real error", () => {
    const m = machine(1);
    expect(m.vmalloc.alloc(VMALLOC_SIZE)).toBe(VMALLOC_START);
    expect(m.ledger.counters.vaBytes).toBe(VMALLOC_SIZE);
    const e = exhaustionOf(() => m.vmalloc.alloc(P));
    expect(e.resource).toBe('vmalloc');
    m.vmalloc.free(VMALLOC_START + 7 * P, P);
    expect(m.vmalloc.alloc(P)).toBe(VMALLOC_START + 7 * P);
  });
});
