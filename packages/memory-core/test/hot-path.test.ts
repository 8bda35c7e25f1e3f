// The per-access shortcuts (row indices in the ledger, page offsets without `%`, the TLB-hit
// path of Mmu.access, small copies, the oracle skipping re-derivations that cannot change
// anything) must give what the plain code gives.
import { describe, expect, it } from 'vitest';
import {
  Calibration,
  COST_ROWS,
  CostLedger,
  costRow,
  costRowName,
  defaultCalibration,
  FREE,
  type Frame,
  HOST,
  type Machine,
  MM_LOCAL_START,
  type Mm,
  ModelUsageError,
  offsetInPage,
  PAGE_SIZE,
  Prng,
  pageAlignDown,
  Scheduler,
  VMALLOC_START,
} from '../src/index.ts';
import { TlbDirectory } from '../src/tlb-directory.ts';
import { bytes, guestFrame, machine, on } from './helpers.ts';

const P = PAGE_SIZE;

describe('offsetInPage and pageAlignDown without %', () => {
  it('agree with % on addresses below and above 2^31, fractions and negatives', () => {
    const values = [0, 1, 4095, 4096, 4097, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, VMALLOC_START + 0x18];
    values.push(MM_LOCAL_START - 1, 2 ** 48 - 1, 2 ** 53 - 1, 2 ** 60, 12.5, 4096.25, -1, -4096, -4097);
    const rng = new Prng(7);
    for (let i = 0; i < 500; i++) values.push(Math.floor(rng.next() * 2 ** 48));
    for (const v of values) {
      expect(offsetInPage(v)).toBe(v % P);
      expect(pageAlignDown(v)).toBe(v - (v % P));
    }
  });
});

describe('ledger charges by row index', () => {
  it('charge(name) and chargeRow(costRow(name)) add the same cycles to the same row', () => {
    const a = new CostLedger(new Calibration({ invlpg: 1000, tlbHit: 3 }));
    const b = new CostLedger(new Calibration({ invlpg: 1000, tlbHit: 3 }));
    const rows = ['invlpg', 'tlbHit', 'pageWalk', 'invlpg', 'ipiPerTarget', 'tlbHit'] as const;
    rows.forEach((row, i) => {
      a.charge(row, i + 1);
      b.chargeRow(costRow(row), i + 1);
    });
    expect(b.cycles).toBe(a.cycles);
    expect([...b.byRow]).toEqual([...a.byRow]);
    // Rows in the order first charged, each with its own total.
    expect([...a.byRow.keys()]).toEqual(['invlpg', 'tlbHit', 'pageWalk', 'ipiPerTarget']);
    expect(a.byRow.get('invlpg')).toBe(1000 * (1 + 4));
    expect(a.byRow.has('cr3Write')).toBe(false);
  });

  it('a zero-cost row is not listed; a row the table lacks throws', () => {
    const l = new CostLedger(new Calibration({ tlbHit: 0 }));
    l.charge('tlbHit');
    expect(l.byRow.has('tlbHit')).toBe(false);
    const { tlbHit: _dropped, ...rows } = defaultCalibration.rows;
    const partial = new CostLedger(new Calibration({}, { ...defaultCalibration, rows }));
    expect(() => partial.charge('tlbHit')).toThrow(ModelUsageError);
    expect(() => partial.chargeRow(costRow('tlbHit'))).toThrow(/tlbHit/);
    expect(partial.cycles).toBe(0);
  });

  it('chargeOnce(id) adds what chargeRow(id) adds, in the same order, fractional and zero rows included', () => {
    const table = { invlpg: 1000.3, tlbHit: 3, cacheAccess: 0, pageWalk: 0.1 };
    const a = new CostLedger(new Calibration(table));
    const b = new CostLedger(new Calibration(table));
    const rows = ['tlbHit', 'cacheAccess', 'invlpg', 'pageWalk', 'tlbHit', 'pageWalk', 'invlpg'] as const;
    for (let i = 0; i < 50; i++) {
      for (const row of rows) {
        a.chargeRow(costRow(row));
        b.chargeOnce(costRow(row));
      }
    }
    expect(b.cycles).toBe(a.cycles);
    expect([...b.byRow]).toEqual([...a.byRow]);
    expect(b.byRow.has('cacheAccess')).toBe(false);
    const { tlbHit: _dropped, ...rest } = defaultCalibration.rows;
    const partial = new CostLedger(new Calibration({}, { ...defaultCalibration, rows: rest }));
    expect(() => partial.chargeOnce(costRow('tlbHit'))).toThrow(/tlbHit/);
  });

  it('row indices cover the shipped table, one per name', () => {
    const names = Object.keys(defaultCalibration.rows);
    expect(COST_ROWS).toBe(names.length);
    for (const name of names) expect(costRowName(costRow(name as 'invlpg'))).toBe(name);
    expect(() => costRow('invlgp' as 'invlpg')).toThrow(ModelUsageError);
  });
});

describe('small writes', () => {
  it('land exactly like TypedArray#set, at every offset and length up to past the cut-over', () => {
    const m = machine(1);
    const f = m.mem.alloc(HOST, 0);
    const ref = new Uint8Array(P);
    const rng = new Prng(3);
    for (let i = 0; i < 300; i++) {
      const len = 1 + Math.floor(rng.next() * 24);
      const off = Math.floor(rng.next() * (P - len + 1));
      const data = Uint8Array.from({ length: len }, () => 1 + Math.floor(rng.next() * 255));
      m.mem.write(f, off, data);
      ref.set(data, off);
    }
    expect(m.mem.read(f, 0, P)).toEqual(ref);
    expect(() => m.mem.write(f, P - 4, bytes(1, 2, 3, 4, 5, 6, 7, 8))).toThrow(RangeError);
  });
});

/** What each access should cost and report, from the state before it (translate() changes nothing). */
function expectedAccess(m: Machine, cpu: number, va: number) {
  const t = m.translate(m.cpu(cpu), va);
  return t ? { tlbHit: t.via === 'tlb', pfn: t.pfn, stale: t.stale } : null;
}

describe('Mmu.access: TLB hits and walks', () => {
  it('a mixed sequence gives the outcome and the cost translate() predicts, on hits and on misses', () => {
    const m = machine(4);
    const vm = m.createMm('vm');
    const frames: Frame[] = [guestFrame(m, vm), guestFrame(m, vm, 'pv'), m.mem.alloc(HOST, 0)];
    const vas = frames.map((f) => {
      const va = m.vmalloc.alloc(P);
      m.mapGlobal(va, f.pfn);
      return va;
    });
    vas.push(m.pageAddress(frames[2]!.pfn));
    for (const c of m.cpus) m.switchMm(c, vm);
    m.mapLocal(vm, MM_LOCAL_START, frames[0]!.pfn);
    vas.push(MM_LOCAL_START);
    const cost = (row: 'tlbHit' | 'pageWalk' | 'cacheAccess') => m.calibration.get(row);
    const rng = new Prng(11);
    let hits = 0;
    let walks = 0;
    for (let i = 0; i < 400; i++) {
      const cpu = Math.floor(rng.next() * 4);
      const va = vas[Math.floor(rng.next() * vas.length)]! + 8 * Math.floor(rng.next() * 4);
      if (rng.next() < 0.15) m.flushLocalPage(m.cpu(cpu), pageAlignDown(va));
      const want = expectedAccess(m, cpu, va);
      const before = m.ledger.cycles;
      const value = bytes(i & 255, 1, 2, 3, 4, 5, 6, 7);
      const r = m.access(on(m, cpu), va, 8, 'write', value);
      if (!want) throw new Error(`no translation for ${va}`);
      expect(r).toMatchObject({ ok: true, ...want, useAfterFree: false });
      expect(m.ledger.cycles - before).toBe(
        (want.tlbHit ? cost('tlbHit') : cost('pageWalk')) + cost('cacheAccess'),
      );
      expect(m.access(on(m, cpu), va, 8, 'read')).toMatchObject({ ok: true, tlbHit: true, data: value });
      if (want.tlbHit) hits++;
      else walks++;
    }
    expect(hits).toBeGreaterThan(100);
    expect(walks).toBeGreaterThan(20);
  });

  it('a caller expecting another life of the frame gets a use-after-free, counted once', () => {
    const m = machine(2);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    const va = m.vmalloc.alloc(P);
    m.mapGlobal(va, f.pfn);
    m.access(on(m, 0), va, 8, 'read');
    expect(m.access(on(m, 0), va, 8, 'read', undefined, f.ident)).toMatchObject({
      tlbHit: true,
      useAfterFree: false,
    });
    expect(m.access(on(m, 0), va, 8, 'read', undefined, 'someone-else')).toMatchObject({
      tlbHit: true,
      useAfterFree: true,
    });
    expect(m.oracle.figures().useAfterFreeAccesses).toBe(1);
  });
});

/** Exposure of every guest frame, from a scan of every PTE and TLB (Machine.reachability). */
function scanned(m: Machine, frames: readonly Frame[]) {
  const out: Array<{ pfn: number; tag: 'secret' | 'pv'; foreign: boolean }> = [];
  // A freed frame handed out again is the same Frame object: count each once.
  for (const f of new Set(frames)) {
    if (f.owner <= 0 || f.tag === 'none') continue;
    const r = m.reachability(f.pfn);
    if (!r.directMap && r.ptes.length === 0 && r.tlb.length === 0) continue;
    const foreign = r.mms === 'all' || r.mms.some((id) => id !== f.ownerMm);
    out.push({ pfn: f.pfn, tag: f.tag, foreign });
  }
  return out.sort((a, b) => a.pfn - b.pfn);
}

describe('oracle: counting a translation in or out', () => {
  it('keeps exposure and stale counts equal to a full scan through maps, accesses, flushes and frees', () => {
    const m = machine(3);
    const mms: Mm[] = [m.createMm('vm1'), m.createMm('vm2')];
    const frames: Frame[] = [guestFrame(m, mms[0]!), guestFrame(m, mms[0]!, 'pv'), guestFrame(m, mms[1]!)];
    const gva = m.vmalloc.alloc(2 * P);
    const rng = new Prng(5);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
    let skipsPossible = 0;
    for (let i = 0; i < 600; i++) {
      const cpu = m.cpu(Math.floor(rng.next() * 3));
      const op = Math.floor(rng.next() * 8);
      const f = pick(frames);
      const local = MM_LOCAL_START + P * Math.floor(rng.next() * 3);
      const global = gva + P * Math.floor(rng.next() * 2);
      if (op === 0 && f.owner !== FREE) m.mapGlobal(global, f.pfn);
      else if (op === 1) m.unmapGlobal(global);
      else if (op === 2 && f.owner !== FREE) m.mapLocal(pick(mms), local, f.pfn);
      else if (op === 3) m.unmapLocal(pick(mms), local);
      else if (op === 4) {
        m.switchMm(cpu, pick(mms));
        const va = rng.next() < 0.5 ? global : local;
        const t = m.translate(cpu, va);
        if (t) {
          // A fill while the PTE already counts the page: the oracle need not re-derive anything.
          if (t.via === 'pte') skipsPossible++;
          m.access({ cpu, mode: 'process' }, va, 8, 'read');
        }
      } else if (op === 5) m.flushLocalPage(cpu, rng.next() < 0.5 ? global : local);
      else if (op === 6) m.flushLocalAll(cpu, rng.next() < 0.5);
      else if (op === 7) {
        // Free a frame (its translations become use-after-free) or give it a new life.
        if (f.owner !== FREE) m.mem.putPage(f.pfn);
        else frames[frames.indexOf(f)] = guestFrame(m, pick(mms), 'secret', rng.next() < 0.5);
      }
      expect(m.oracle.exposedFrames()).toEqual(scanned(m, frames));
      let stale = 0;
      for (const c of m.cpus) for (const e of c.tlb.entries.values()) if (e.scope >= 0 && e.stale) stale++;
      expect(m.oracle.figures().staleNow).toBe(stale);
    }
    expect(skipsPossible).toBeGreaterThan(20);
  });

  it('repeated maps of one page behind stale TLB entries keep it exposed until the last entry goes', () => {
    const m = machine(1);
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    const cpu = m.cpu(0);
    m.switchMm(cpu, vm);
    for (let i = 0; i < 5; i++) {
      const va = MM_LOCAL_START + i * P;
      m.mapLocal(vm, va, f.pfn);
      m.access(on(m, 0), va, 8, 'write', bytes(i + 1));
      m.unmapLocal(vm, va);
    }
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 1, foreignExposedNow: 0, staleNow: 5 });
    expect(m.oracle.exposedFrames()).toEqual(scanned(m, [f]));
    m.flushLocalAll(cpu, false);
    expect(m.oracle.figures()).toMatchObject({ exposedNow: 0, staleNow: 0 });
  });
});

describe('TLB directory: the last address space remembered', () => {
  it('answers like a plain map of holders through adds and removes across address spaces that empty and refill', () => {
    const dir = new TlbDirectory();
    const naive = new Map<string, Set<number>>();
    const rng = new Prng(9);
    let emptied = 0;
    for (let i = 0; i < 800; i++) {
      const asid = Math.floor(rng.next() * 3);
      const vpn = Math.floor(rng.next() * 2);
      const cpu = Math.floor(rng.next() * 2);
      const k = `${asid}:${vpn}`;
      if (rng.next() < 0.45) {
        dir.add(asid, vpn, cpu);
        naive.set(k, (naive.get(k) ?? new Set()).add(cpu));
      } else {
        const had = dir.pagesOf(asid);
        dir.remove(asid, vpn, cpu);
        naive.get(k)?.delete(cpu);
        if (had > 0 && dir.pagesOf(asid) === 0) emptied++;
      }
      for (let a = 0; a < 3; a++) {
        let pages = 0;
        for (let v = 0; v < 2; v++) {
          const want = [...(naive.get(`${a}:${v}`) ?? [])].sort();
          expect([...dir.holders(a, v)].sort()).toEqual(want);
          if (want.length > 0) pages++;
        }
        expect(dir.pagesOf(a)).toBe(pages);
      }
    }
    expect(emptied).toBeGreaterThan(20);
    // A forgotten address space starts again from nothing; one still caching a page is kept.
    dir.add(7, 1, 0);
    dir.forgetAsid(7);
    expect(dir.holders(7, 1)).toEqual([0]);
    dir.remove(7, 1, 0);
    dir.forgetAsid(7);
    dir.add(7, 2, 1);
    expect([dir.pagesOf(7), dir.holders(7, 2), dir.holders(7, 1)]).toEqual([1, [1], []]);
  });
});

describe("a thread's context", () => {
  it('is the same object while the thread stays put, and a new snapshot after a migration or a mode change', () => {
    const m = machine(2);
    const s = new Scheduler(m, 1);
    const mm = m.createMm('vm');
    const t = s.spawn({ name: 'v0', kind: 'vcpu', cpu: 0, mm });
    const first = t.ctx;
    expect(t.ctx).toBe(first);
    expect(first).toEqual({ cpu: m.cpu(0), mode: 'process', who: 'v0', mm });
    t.mode = 'atomic';
    const atomic = t.ctx;
    expect(atomic).not.toBe(first);
    expect([first.mode, atomic.mode]).toEqual(['process', 'atomic']);
    t.cpu = m.cpu(1);
    expect(t.ctx.cpu).toBe(m.cpu(1));
    expect(atomic.cpu).toBe(m.cpu(0));
    t.mode = 'process';
    t.cpu = m.cpu(0);
    expect(t.ctx).toEqual(first);
    expect(Object.isFrozen(t.ctx)).toBe(true);
  });
});

describe('shared write-hit outcomes', () => {
  it('carry each access its own pfn and flags, pages written in turn included, and cannot be changed', () => {
    const m = machine(2);
    // Two pages written in turn: each write gets the outcome of its own page.
    const frames = [m.mem.alloc(0, 0), m.mem.alloc(0, 0)];
    const va = m.vmalloc.alloc(2 * P);
    m.mapGlobal(va, frames[0]!.pfn);
    m.mapGlobal(va + P, frames[1]!.pfn);
    const ctx = on(m, 0);
    const data = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    for (let i = 0; i < 2; i++) m.access(ctx, va + i * P, 8, 'write', data);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 2; i++) {
        const r = m.access(ctx, va + i * P, 8, 'write', data);
        expect(r).toEqual({
          ok: true,
          pfn: frames[i]!.pfn,
          tlbHit: true,
          stale: false,
          useAfterFree: false,
          data: null,
        });
        expect(Object.isFrozen(r)).toBe(true);
      }
    }
    // A stale hit is not the shared live one.
    m.unmapGlobal(va);
    expect(m.access(ctx, va, 8, 'write', data)).toMatchObject({ ok: true, tlbHit: true, stale: true });
  });
});
