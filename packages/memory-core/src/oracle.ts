import type { DirectMap } from './direct-map.ts';
import { FREE, type Frame, type FrameListener, type PhysicalMemory, type Sensitivity } from './frames.ts';
import type { Pfn } from './layout.ts';
import type { CostLedger } from './ledger.ts';

/** Where a kernel translation can be used from: every mm (GLOBAL) or one mm (its id). */
export const GLOBAL_SCOPE = 0;

interface FrameReach {
  /** Global direct-map TLB entries (legitimate for a free frame, so not use-after-free). */
  dmapTlb: number;
  /** Other global translations (vmalloc/ioremap PTEs and their TLB entries), by frame identity. */
  global: Map<string, RefCount>;
  /** mm-scoped translations (mm-local PTEs and TLB entries): mm id -> identity -> count. */
  perMm: Map<number, Map<string, RefCount>>;
  exposedTag: Sensitivity | null;
  foreign: boolean;
  uafSince: number;
}

export interface ExposureFigures {
  /** Guest frames (tag secret or pv) reachable through any kernel translation, page-ns. */
  exposurePageNs: number;
  /** The part reachable from an mm other than the owning VM's. */
  foreignExposurePageNs: number;
  byTag: Record<'secret' | 'pv', { exposurePageNs: number; foreignExposurePageNs: number }>;
  staleTranslationNs: number;
  useAfterFreeWindows: number;
  useAfterFreeNs: number;
  useAfterFreeAccesses: number;
  exposedNow: number;
  foreignExposedNow: number;
  staleNow: number;
}

/**
 * The safety oracle: which guest frames are reachable through kernel translations (PTEs and
 * TLB entries, stale ones included), from which mms, integrated over simulated time; and
 * which translations outlived the frame they pointed at (use-after-free windows).
 */
export class SafetyOracle implements FrameListener {
  private readonly reach = new Map<Pfn, FrameReach>();
  /** The record record() returned last (records are never deleted; one that were must clear this). */
  private lastPfn: Pfn = -1;
  private lastReach: FrameReach | null = null;
  private lastNs = 0;
  private exposed = { secret: 0, pv: 0 };
  private foreign = { secret: 0, pv: 0 };
  private stale = 0;
  private openUaf = 0;
  private readonly totals = {
    secret: { e: 0, f: 0 },
    pv: { e: 0, f: 0 },
    staleNs: 0,
    uafWindows: 0,
    uafNs: 0,
    uafAccesses: 0,
  };

  constructor(
    private readonly ledger: CostLedger,
    private readonly mem: PhysicalMemory,
    private readonly directMap: () => DirectMap,
  ) {}

  /** Integrate every running figure up to the current simulated time. */
  sync(): void {
    const now = this.ledger.nowNs;
    const dt = now - this.lastNs;
    if (dt <= 0) return;
    this.lastNs = now;
    const t = this.totals;
    t.secret.e += this.exposed.secret * dt;
    t.secret.f += this.foreign.secret * dt;
    t.pv.e += this.exposed.pv * dt;
    t.pv.f += this.foreign.pv * dt;
    t.staleNs += this.stale * dt;
    // Open use-after-free windows accumulate while they stay open.
    if (this.openUaf > 0) t.uafNs += this.openUaf * dt;
  }

  figures(): ExposureFigures {
    this.sync();
    const t = this.totals;
    return {
      exposurePageNs: t.secret.e + t.pv.e,
      foreignExposurePageNs: t.secret.f + t.pv.f,
      byTag: {
        secret: { exposurePageNs: t.secret.e, foreignExposurePageNs: t.secret.f },
        pv: { exposurePageNs: t.pv.e, foreignExposurePageNs: t.pv.f },
      },
      staleTranslationNs: t.staleNs,
      useAfterFreeWindows: t.uafWindows,
      useAfterFreeNs: t.uafNs,
      useAfterFreeAccesses: t.uafAccesses,
      exposedNow: this.exposed.secret + this.exposed.pv,
      foreignExposedNow: this.foreign.secret + this.foreign.pv,
      staleNow: this.stale,
    };
  }

  /** Guest frames reachable through a kernel translation right now, and whether from a foreign mm. */
  exposedFrames(): Array<{ pfn: Pfn; tag: 'secret' | 'pv'; foreign: boolean }> {
    const out: Array<{ pfn: Pfn; tag: 'secret' | 'pv'; foreign: boolean }> = [];
    for (const [pfn, r] of this.reach) {
      if (r.exposedTag) out.push({ pfn, tag: r.exposedTag as 'secret' | 'pv', foreign: r.foreign });
    }
    return out.sort((a, b) => a.pfn - b.pfn);
  }

  private record(pfn: Pfn): FrameReach {
    // The same frame again (a per-access mapping counts it several times per access): no lookup.
    if (pfn === this.lastPfn && this.lastReach !== null) return this.lastReach;
    let r = this.reach.get(pfn);
    if (!r) {
      r = { dmapTlb: 0, global: new Map(), perMm: new Map(), exposedTag: null, foreign: false, uafSince: -1 };
      this.reach.set(pfn, r);
    }
    this.lastPfn = pfn;
    this.lastReach = r;
    return r;
  }

  /** A translation to pfn, made while the frame held `ident`, appeared. */
  addRef(pfn: Pfn, scope: number, ident: string, viaDirectMap: boolean): void {
    this.changeRef(pfn, scope, ident, viaDirectMap, 1);
  }

  dropRef(pfn: Pfn, scope: number, ident: string, viaDirectMap: boolean): void {
    this.changeRef(pfn, scope, ident, viaDirectMap, -1);
  }

  /**
   * Count a translation in or out. The frame's figures depend only on which (scope, identity)
   * counts are positive (and on the frame and the direct map, which re-derive on their own
   * changes): a count that stays positive, or stays at or below zero, changes nothing, so
   * re-deriving is skipped (an mm-local page mapped again while stale TLB entries still
   * count it, the ephmap per-access case).
   */
  private changeRef(pfn: Pfn, scope: number, ident: string, viaDirectMap: boolean, delta: 1 | -1): void {
    this.sync();
    const r = this.record(pfn);
    let before: number;
    if (viaDirectMap) {
      before = r.dmapTlb;
      r.dmapTlb += delta;
    } else before = bump(scope === GLOBAL_SCOPE ? r.global : mmMap(r, scope), ident, delta);
    if (before > 0 !== before + delta > 0) this.reevaluate(pfn, r);
  }

  staleChanged(delta: number): void {
    this.sync();
    this.stale += delta;
  }

  useAfterFreeAccess(): void {
    this.totals.uafAccesses++;
  }

  /** Direct-map presence of pfn changed: re-derive its exposure. */
  directMapChanged(pfn: Pfn): void {
    this.sync();
    const r = this.reach.get(pfn);
    const f = this.mem.get(pfn);
    if (!r && !(f && isGuest(f))) return;
    this.reevaluate(pfn, this.record(pfn));
  }

  frameOwnerChanged(frame: Frame, _previous: number): void {
    this.sync();
    const r = this.reach.get(frame.pfn);
    if (!r && !isGuest(frame)) return;
    this.reevaluate(frame.pfn, this.record(frame.pfn));
  }

  private reevaluate(pfn: Pfn, r: FrameReach): void {
    const f = this.mem.get(pfn);
    const live = f && f.owner !== FREE ? f.ident : null;
    let anyGlobal = r.dmapTlb > 0 || this.directMap().isPresent(pfn);
    let oldGen = false;
    for (const [g, { n }] of r.global) {
      if (n <= 0) continue;
      anyGlobal = true;
      if (g !== live) oldGen = true;
    }
    let anyMm = false;
    let foreignMm = false;
    for (const [mm, gens] of r.perMm) {
      for (const [g, { n }] of gens) {
        if (n <= 0) continue;
        anyMm = true;
        if (f && mm !== f.ownerMm) foreignMm = true;
        if (g !== live) oldGen = true;
      }
    }
    // Use-after-free window: a translation made for another life of the frame (freed or reused) is alive.
    if (oldGen && r.uafSince < 0) {
      r.uafSince = this.lastNs;
      this.openUaf++;
      this.totals.uafWindows++;
    } else if (!oldGen && r.uafSince >= 0) {
      r.uafSince = -1;
      this.openUaf--;
    }
    const tag = f && isGuest(f) && (anyGlobal || anyMm) ? (f.tag as 'secret' | 'pv') : null;
    const foreign = tag !== null && (anyGlobal || foreignMm);
    if (r.exposedTag) this.exposed[r.exposedTag as 'secret' | 'pv']--;
    if (r.exposedTag && r.foreign) this.foreign[r.exposedTag as 'secret' | 'pv']--;
    r.exposedTag = tag;
    r.foreign = foreign;
    if (tag) this.exposed[tag]++;
    if (tag && foreign) this.foreign[tag]++;
  }
}

function isGuest(f: Frame): boolean {
  return f.owner > 0 && f.tag !== 'none';
}

function mmMap(r: FrameReach, mm: number): Map<string, RefCount> {
  let m = r.perMm.get(mm);
  if (!m) {
    m = new Map();
    r.perMm.set(mm, m);
  }
  return m;
}

/** A translation count, changed in place (a count that moves between non-zero values needs no map write). */
interface RefCount {
  n: number;
}

/** Add delta to a count (a zero count is deleted); returns the count before. */
function bump(m: Map<string, RefCount>, key: string, delta: number): number {
  const c = m.get(key);
  if (c === undefined) {
    m.set(key, { n: delta });
    return 0;
  }
  const before = c.n;
  c.n = before + delta;
  if (c.n === 0) m.delete(key);
  return before;
}
