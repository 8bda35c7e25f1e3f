import { describe, expect, it } from 'vitest';
import { type ExposureFigures, HOST, type Machine, MM_LOCAL_START, PAGE_SIZE } from '../src/index.ts';
import { advance, guestFrame, machine, on } from './helpers.ts';

const P = PAGE_SIZE;

/** Run `fn` and return how much each figure moved meanwhile. */
function delta(m: Machine, fn: () => void): ExposureFigures {
  const a = m.oracle.figures();
  fn();
  const b = m.oracle.figures();
  return {
    ...b,
    exposurePageNs: b.exposurePageNs - a.exposurePageNs,
    foreignExposurePageNs: b.foreignExposurePageNs - a.foreignExposurePageNs,
    byTag: {
      secret: {
        exposurePageNs: b.byTag.secret.exposurePageNs - a.byTag.secret.exposurePageNs,
        foreignExposurePageNs: b.byTag.secret.foreignExposurePageNs - a.byTag.secret.foreignExposurePageNs,
      },
      pv: {
        exposurePageNs: b.byTag.pv.exposurePageNs - a.byTag.pv.exposurePageNs,
        foreignExposurePageNs: b.byTag.pv.foreignExposurePageNs - a.byTag.pv.foreignExposurePageNs,
      },
    },
    staleTranslationNs: b.staleTranslationNs - a.staleTranslationNs,
    useAfterFreeWindows: b.useAfterFreeWindows - a.useAfterFreeWindows,
    useAfterFreeNs: b.useAfterFreeNs - a.useAfterFreeNs,
    useAfterFreeAccesses: b.useAfterFreeAccesses - a.useAfterFreeAccesses,
  };
}

/** Exposure accrued over one period of simulated time in which nothing else happens. */
function exposureOver(m: Machine): { dt: number; d: ExposureFigures } {
  let dt = 0;
  const d = delta(m, () => {
    dt = advance(m);
  });
  return { dt, d };
}

const NS = 6; // digits: the integral is a float sum of (pages x dt)

describe('exposure of a guest frame', () => {
  it('stops exactly when its last translation (PTE and every TLB entry) goes', () => {
    const m = machine(4);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    expect(m.oracle.figures().exposedNow).toBe(0);
    expect(exposureOver(m).d.exposurePageNs).toBe(0);

    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    m.access(on(m, 1), va, 8, 'write');
    m.access(on(m, 2), va, 8, 'write');
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, foreignExposedNow: 1, staleNow: 0 });
    let { dt, d } = exposureOver(m);
    expect(dt).toBeGreaterThan(18_000);
    expect(d.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.byTag.secret.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.byTag.pv.exposurePageNs).toBe(0);

    // PTE gone, two stale TLB entries left: still exposed, for the full period.
    m.unmapGlobal(va);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, staleNow: 2 });
    ({ dt, d } = exposureOver(m));
    expect(d.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.staleTranslationNs).toBeCloseTo(2 * dt, NS);

    m.flushLocalPage(m.cpu(1), va);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, staleNow: 1 });
    ({ dt, d } = exposureOver(m));
    expect(d.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.staleTranslationNs).toBeCloseTo(dt, NS);

    // The last TLB entry goes: exposure stops at once.
    m.flushLocalPage(m.cpu(2), va);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 0, foreignExposedNow: 0, staleNow: 0 });
    ({ dt, d } = exposureOver(m));
    expect(dt).toBeGreaterThan(0);
    expect(d.exposurePageNs).toBe(0);
    expect(d.foreignExposurePageNs).toBe(0);
    expect(d.staleTranslationNs).toBe(0);
    expect(m.oracle.exposedFrames()).toEqual([]);
  });

  it('counts a stale direct-map TLB entry left by a removal without a flush', () => {
    const m = machine(2);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm, 'secret', false);
    // In the direct map: exposed to every mm.
    expect(m.oracle.exposedFrames()).toEqual([{ pfn: f.pfn, tag: 'secret', foreign: true }]);
    m.access(on(m, 0), m.pageAddress(f.pfn), 8, 'read');
    m.removeFromDirectMap(f.pfn);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, staleNow: 1 });
    const { dt, d } = exposureOver(m);
    expect(d.foreignExposurePageNs).toBeCloseTo(dt, NS);
    m.flushTlbKernelRange(m.cpu(1), m.pageAddress(f.pfn), m.pageAddress(f.pfn) + P);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 0, staleNow: 0 });
    // Restoring it to the direct map exposes it again.
    m.restoreToDirectMap(f.pfn);
    expect(m.oracle.figures().exposedNow).toBe(1);
  });

  it('is split by tag, and never counts host frames or untagged guest frames', () => {
    const m = machine(1);
    const vm = m.createMm('vm');
    const pv = guestFrame(m, vm, 'pv');
    const host = m.mem.alloc(HOST, 0, 'secret');
    const plain = m.mem.alloc(1, vm.id, 'none');
    m.removeFromDirectMap(host.pfn);
    m.removeFromDirectMap(plain.pfn);
    m.mapGlobal(m.vmalloc.alloc(P), pv.pfn);
    m.mapGlobal(m.vmalloc.alloc(P), host.pfn);
    m.mapGlobal(m.vmalloc.alloc(P), plain.pfn);
    expect(m.oracle.figures().exposedNow).toBe(1);
    const { dt, d } = exposureOver(m);
    expect(d.byTag.pv.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.byTag.pv.foreignExposurePageNs).toBeCloseTo(dt, NS);
    expect(d.byTag.secret.exposurePageNs).toBe(0);
    expect(d.exposurePageNs).toBeCloseTo(dt, NS);
  });

  it('ends when the frame is freed (it is no longer guest data), even if a mapping remains', () => {
    const m = machine(1);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    m.mapGlobal(m.vmalloc.alloc(P), f.pfn);
    expect(m.oracle.figures().exposedNow).toBe(1);
    m.mem.putPage(f.pfn);
    expect(m.oracle.figures().exposedNow).toBe(0);
    expect(exposureOver(m).d.exposurePageNs).toBe(0);
  });
});

describe('foreign exposure', () => {
  it("does not count an mm-local PTE in the owner's mm (nor its TLB entries) as foreign", () => {
    const m = machine(2);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    m.mapLocal(vm, MM_LOCAL_START, f.pfn);
    m.switchMm(m.cpu(0), vm);
    m.access(on(m, 0), MM_LOCAL_START, 8, 'write');
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, foreignExposedNow: 0 });
    const { dt, d } = exposureOver(m);
    expect(d.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.foreignExposurePageNs).toBe(0);
    expect(m.oracle.exposedFrames()).toEqual([{ pfn: f.pfn, tag: 'secret', foreign: false }]);
  });

  it('counts an mm-local PTE in another mm as foreign', () => {
    const m = machine(1);
    const vm = m.createMm('vm');
    const other = m.createMm('other');
    const f = guestFrame(m, vm);
    m.mapLocal(other, MM_LOCAL_START, f.pfn);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, foreignExposedNow: 1 });
    const { dt, d } = exposureOver(m);
    expect(d.foreignExposurePageNs).toBeCloseTo(dt, NS);
  });

  it('counts a global vmalloc PTE as foreign, and only while it lasts', () => {
    const m = machine(2);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    m.mapLocal(vm, MM_LOCAL_START, f.pfn);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, foreignExposedNow: 1 });
    let { dt, d } = exposureOver(m);
    expect(d.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.foreignExposurePageNs).toBeCloseTo(dt, NS);
    m.unmapGlobal(va);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, foreignExposedNow: 0 });
    ({ dt, d } = exposureOver(m));
    expect(d.exposurePageNs).toBeCloseTo(dt, NS);
    expect(d.foreignExposurePageNs).toBe(0);
  });
});

describe('use-after-free windows', () => {
  it('opens when a frame is freed under a vmalloc PTE and closes when the PTE goes', () => {
    const m = machine(2);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    expect(m.oracle.figures().useAfterFreeWindows).toBe(0);
    m.mem.putPage(f.pfn);
    expect(m.oracle.figures().useAfterFreeWindows).toBe(1);
    let { dt, d } = exposureOver(m);
    expect(d.useAfterFreeNs).toBeCloseTo(dt, NS);
    // An access through it (a walk: no TLB entry yet) is flagged.
    let acc = delta(m, () => {
      expect(m.access(on(m, 0, 'irq'), va, 8, 'write')).toMatchObject({
        ok: true,
        useAfterFree: true,
        tlbHit: false,
      });
    });
    expect(acc.useAfterFreeAccesses).toBe(1);
    // The frame is reused: the window stays open (the PTE was made for its previous life).
    m.mem.alloc(HOST, 0);
    expect(m.oracle.figures().useAfterFreeWindows).toBe(1);
    m.unmapGlobal(va);
    // CPU 0's TLB entry still holds the old translation.
    ({ dt, d } = exposureOver(m));
    expect(d.useAfterFreeNs).toBeCloseTo(dt, NS);
    acc = delta(m, () => {
      expect(m.access(on(m, 0), va, 8, 'read')).toMatchObject({
        ok: true,
        useAfterFree: true,
        tlbHit: true,
        stale: true,
      });
    });
    expect(acc.useAfterFreeAccesses).toBe(1);
    m.flushLocalPage(m.cpu(0), va);
    ({ dt, d } = exposureOver(m));
    expect(dt).toBeGreaterThan(0);
    expect(d.useAfterFreeNs).toBe(0);
    expect(m.oracle.figures()).toMatchObject({ useAfterFreeWindows: 1, useAfterFreeAccesses: 2 });
  });

  it('closes at the PTE clear when no CPU cached the translation, and counts each window', () => {
    const m = machine(1);
    const f = m.mem.alloc(HOST, 0);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    m.mem.putPage(f.pfn);
    m.unmapGlobal(va);
    expect(exposureOver(m).d.useAfterFreeNs).toBe(0);
    const g = m.mem.alloc(HOST, 0);
    m.mapGlobal(va, g.pfn);
    m.mem.putPage(g.pfn);
    expect(m.oracle.figures().useAfterFreeWindows).toBe(2);
  });

  it('does not open a window for a free frame still in a direct-map TLB entry', () => {
    const m = machine(1);
    const f = m.mem.alloc(HOST, 0);
    m.access(on(m, 0), m.pageAddress(f.pfn), 8, 'read');
    m.mem.putPage(f.pfn);
    expect(m.oracle.figures().useAfterFreeWindows).toBe(0);
  });

  it('opens one for a stale mm-local PTE too', () => {
    const m = machine(1);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    m.mapLocal(vm, MM_LOCAL_START, f.pfn);
    m.mem.putPage(f.pfn);
    expect(m.oracle.figures().useAfterFreeWindows).toBe(1);
    m.unmapLocal(vm, MM_LOCAL_START);
    expect(exposureOver(m).d.useAfterFreeNs).toBe(0);
  });
});

describe('reachability: which mms and CPUs can reach a frame', () => {
  it('lists PTEs and TLB entries and derives mms and CPUs from them', () => {
    const m = machine(4);
    const vm = m.createMm('vm');
    const other = m.createMm('other');
    const f = guestFrame(m, vm);
    expect(m.reachability(f.pfn)).toEqual({
      pfn: f.pfn,
      directMap: false,
      ptes: [],
      tlb: [],
      mms: [],
      cpus: [],
    });

    m.switchMm(m.cpu(0), vm);
    m.switchMm(m.cpu(1), other);
    m.switchMm(m.cpu(2), vm);
    m.mapLocal(vm, MM_LOCAL_START, f.pfn);
    m.access(on(m, 0), MM_LOCAL_START, 8, 'read');
    let r = m.reachability(f.pfn);
    expect(r.ptes).toEqual([{ scope: vm.id, va: MM_LOCAL_START }]);
    expect(r.tlb).toEqual([{ cpu: 0, scope: vm.id, va: MM_LOCAL_START, stale: false }]);
    expect(r.mms).toEqual([vm.id]);
    expect(r.cpus).toEqual([0, 2]);

    // Unmapped and CPU 0 moved to another mm: its TLB entry stays, unusable until it switches back.
    m.unmapLocal(vm, MM_LOCAL_START);
    m.switchMm(m.cpu(0), other);
    r = m.reachability(f.pfn);
    expect(r.tlb).toEqual([{ cpu: 0, scope: vm.id, va: MM_LOCAL_START, stale: true }]);
    expect(r.mms).toEqual([vm.id]);
    expect(r.cpus).toEqual([]);

    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    m.cpu(3).online = false;
    r = m.reachability(f.pfn);
    expect(r.mms).toBe('all');
    expect(r.cpus).toEqual([0, 1, 2]);
  });

  it('reports a frame in the direct map as reachable from every mm', () => {
    const m = machine(2);
    const f = m.mem.alloc(HOST, 0);
    expect(m.reachability(f.pfn)).toMatchObject({ directMap: true, mms: 'all', cpus: [0, 1] });
  });
});
