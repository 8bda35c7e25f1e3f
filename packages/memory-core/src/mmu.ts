import { costRow } from './calibration.ts';
import type { Cpu, ExecContext, ExecMode } from './cpu.ts';
import type { DirectMap } from './direct-map.ts';
import { ModelUsageError } from './errors.ts';
import { FREE, type PhysicalMemory } from './frames.ts';
import {
  DIRECT_MAP_SIZE,
  directMapPfn,
  formatVa,
  offsetInPage,
  PAGE_OFFSET,
  PAGE_SIZE,
  type Pfn,
  pageAlignDown,
  regionOf,
  type Va,
  VMALLOC_SIZE,
  VMALLOC_START,
  vpnOf,
} from './layout.ts';
import type { CostLedger } from './ledger.ts';
import type { Mm } from './mm.ts';
import type { SafetyOracle } from './oracle.ts';
import type { PageTable, Pte } from './page-table.ts';
import type { Tlb } from './tlb.ts';
import type { TlbShootdown } from './tlb-flush.ts';

export type AccessOp = 'read' | 'write';

const TLB_HIT = costRow('tlbHit');
const PAGE_WALK = costRow('pageWalk');
const CACHE_ACCESS = costRow('cacheAccess');
/** Shared write-hit outcomes kept (a power of two). */
const LIVE_HITS = 1024;

export type AccessOutcome =
  | { ok: true; pfn: Pfn; tlbHit: boolean; stale: boolean; useAfterFree: boolean; data: Uint8Array | null }
  | { ok: false; kind: 'oops' | 'fault'; reason: string };

/** An oops or a failed user access, kept with where it happened. */
export interface AccessRecord {
  readonly cpu: number;
  readonly mode: ExecMode;
  readonly who: string;
  readonly va: string;
  readonly op: AccessOp;
  readonly reason: string;
  readonly atNs: number;
}

/** A translation seen from a CPU without touching TLB state (for checks and invariants). */
export interface Translation {
  readonly pfn: Pfn;
  readonly gen: number;
  readonly via: 'tlb' | 'pte';
  readonly stale: boolean;
}

/** What the MMU reads and updates of the machine. */
export interface MmuParts {
  readonly mem: PhysicalMemory;
  readonly directMap: DirectMap;
  readonly kernelPt: PageTable;
  readonly ledger: CostLedger;
  readonly oracle: SafetyOracle;
  readonly shootdown: TlbShootdown;
  /** Install a user PTE (a user fault resolved). */
  mapUser(mm: Mm, va: Va, pfn: Pfn): void;
  /** Keep an oops or a failed user access (the machine's `oopses` and `faults`). */
  record(kind: 'oops' | 'fault', rec: AccessRecord): void;
}

/**
 * The MMU: loads and stores go through the CPU's TLB, then a page walk that fills it; user
 * faults are resolved from process context. Oopses and failed user accesses are reported to the machine.
 */
export class Mmu {
  private readonly ledger: CostLedger;
  private readonly mem: PhysicalMemory;
  constructor(private readonly m: MmuParts) {
    this.ledger = m.ledger;
    this.mem = m.mem;
  }

  /** Look a translation up the way the CPU would, without changing any state. */
  translate(cpu: Cpu, va: Va): Translation | null {
    const vpn = vpnOf(va);
    const region = regionOf(va);
    const asid = region === 'direct-map' || region === 'vmalloc' ? 0 : (cpu.loadedMm?.id ?? -1);
    if (asid < 0) return null;
    const tlb = cpu.tlb;
    const s = tlb.find(asid, vpn);
    if (s >= 0) return { pfn: tlb.pfnAt(s), gen: tlb.genAt(s), via: 'tlb', stale: tlb.isStale(s) };
    const pte = this.walk(cpu, va);
    return pte ? { pfn: pte.pfn, gen: pte.gen, via: 'pte', stale: false } : null;
  }

  // Models the hardware page walk (one level here): the PTE the CPU's loaded tables give for va.
  private walk(cpu: Cpu, va: Va): Pte | undefined {
    const vpn = vpnOf(va);
    switch (regionOf(va)) {
      case 'direct-map': {
        const pfn = directMapPfn(va);
        if (!this.m.mem.isRam(pfn) || !this.m.directMap.isPresent(pfn)) return undefined;
        const f = this.m.mem.get(pfn);
        return { pfn, gen: f?.gen ?? 0, ident: f?.ident ?? 'free' };
      }
      case 'vmalloc':
        return this.m.kernelPt.get(vpn);
      case 'mm-local':
        return cpu.loadedMm?.localPt.get(vpn);
      case 'user':
        return cpu.loadedMm?.userPt.get(vpn);
      default:
        return undefined;
    }
  }

  /**
   * A load or store of `len` bytes at `va` from a CPU: TLB, then page walk. A stale TLB entry
   * still translates. No translation of a kernel address is an oops in any context; a user
   * address is faulted in from process context and fails in atomic or IRQ context.
   */
  access(
    ctx: ExecContext,
    va: Va,
    len: number,
    op: AccessOp,
    data?: Uint8Array,
    expectIdent?: string,
  ): AccessOutcome {
    // One division gives the page and the offset (addresses are never negative here: a negative
    // one has no page and takes offsetInPage's sign rule to the error below).
    const vpn = Math.floor(va / PAGE_SIZE);
    const offset = va >= 0 ? va - vpn * PAGE_SIZE : offsetInPage(va);
    if (len <= 0 || offset + len > PAGE_SIZE) {
      throw new ModelUsageError(`access of ${len} bytes at ${formatVa(va)} crosses a page`);
    }
    const ledger = this.ledger;
    const mem = this.mem;
    const cpu = ctx.cpu;
    // The direct map and vmalloc space are global (asid 0); the region's name is only needed on a miss.
    const global =
      (va >= PAGE_OFFSET && va < PAGE_OFFSET + DIRECT_MAP_SIZE) ||
      (va >= VMALLOC_START && va < VMALLOC_START + VMALLOC_SIZE);
    const mm = cpu.loadedMm;
    const asid = global ? 0 : (mm?.id ?? -1);
    const tlb = cpu.tlb;
    let slot = asid >= 0 ? tlb.find(asid, vpn) : -1;
    let tlbHit = slot >= 0;
    if (tlbHit) ledger.chargeOnce(TLB_HIT);
    else {
      const walked = this.translateMiss(ctx, va, vpn, global, mm, op);
      if (typeof walked !== 'number') return walked;
      slot = walked;
      tlbHit = this.missEndedInHit;
    }
    const pfn = tlb.pfnAt(slot);
    // The frame is remembered in the slot once found: a frame, once it exists, stays the same
    // object for its pfn (memory never drops one), and the write or read below touches it anyway.
    let frame = tlb.frameAt(slot);
    if (frame === undefined) {
      frame = mem.get(pfn);
      if (frame !== undefined) tlb.rememberFrame(slot, frame);
    }
    // A direct-map entry is right in every life of the frame (page_address() never changes),
    // so only a free frame makes it a use-after-free; other entries also go stale on reuse.
    const ident = tlb.identAt(slot);
    let useAfterFree =
      frame === undefined ||
      frame.owner === FREE ||
      (!tlb.viaDirectMapAt(slot) && ident !== undefined && frame.ident !== ident);
    if (useAfterFree && tlb.scopeAt(slot) >= 0) this.m.oracle.useAfterFreeAccess();
    // The caller's own idea of what the page holds (a gpc's pfn identity): another life is a use-after-free.
    if (!useAfterFree && expectIdent !== undefined && frame!.ident !== expectIdent) {
      this.m.oracle.useAfterFreeAccess();
      useAfterFree = true;
    }
    ledger.chargeOnce(CACHE_ACCESS);
    const stale = tlb.isStale(slot);
    if (frame !== undefined) {
      if (op === 'write') {
        if (data) mem.write(frame, offset, data);
        else mem.zero(frame, offset, len);
      } else {
        return { ok: true, pfn, tlbHit, stale, useAfterFree, data: mem.read(frame, offset, len) };
      }
    }
    // A write's outcome carries no data: the common one (a hit on a live entry) is shared.
    if (tlbHit && !stale && !useAfterFree) return this.liveWriteHit(pfn);
    return { ok: true, pfn, tlbHit, stale, useAfterFree, data: null };
  }

  /**
   * Outcomes of TLB-hit writes through live entries, frozen and shared, by pfn in a small
   * direct-mapped table (many vCPUs writing their own pages in turn each find theirs).
   */
  private readonly liveHits: Array<AccessOutcome | undefined> = new Array(LIVE_HITS).fill(undefined);

  private liveWriteHit(pfn: Pfn): AccessOutcome {
    const i = pfn & (LIVE_HITS - 1);
    const last = this.liveHits[i];
    if (last !== undefined && last.ok && last.pfn === pfn) return last;
    const out: AccessOutcome = Object.freeze({
      ok: true,
      pfn,
      tlbHit: true,
      stale: false,
      useAfterFree: false,
      data: null,
    });
    this.liveHits[i] = out;
    return out;
  }

  /** The last translateMiss() found the entry in the TLB on its retry (after a user fault). */
  private missEndedInHit = false;

  /**
   * A TLB miss: page walk and fill, or a user fault resolved and the walk tried once more; an
   * oops or a failed user access otherwise (returned as the access's outcome).
   */
  private translateMiss(
    ctx: ExecContext,
    va: Va,
    vpn: number,
    global: boolean,
    mm: Mm | null,
    op: AccessOp,
  ): number | AccessOutcome {
    const { ledger } = this.m;
    this.missEndedInHit = false;
    const cpu = ctx.cpu;
    const region = regionOf(va);
    for (let attempt = 0; attempt < 2; attempt++) {
      const asid = global ? 0 : (mm?.id ?? -1);
      if (attempt > 0) {
        const slot = asid >= 0 ? cpu.tlb.find(asid, vpn) : -1;
        if (slot >= 0) {
          ledger.chargeRow(TLB_HIT);
          this.missEndedInHit = true;
          return slot;
        }
      }
      ledger.chargeRow(PAGE_WALK);
      ledger.counters.tlbMisses++;
      const pte = this.walk(cpu, va);
      if (pte) return this.fill(cpu, global ? 0 : asid, vpn, pte, region);
      if (region !== 'user') {
        return this.fail('oops', ctx, va, op, `unable to handle page fault for address ${formatVa(va)}`);
      }
      if (ctx.mode !== 'process') {
        return this.fail(
          'fault',
          ctx,
          va,
          op,
          `user address ${formatVa(va)} not present in ${ctx.mode} context`,
        );
      }
      const vma = mm?.findVma(va);
      if (!mm || !vma) return this.fail('fault', ctx, va, op, `no user mapping at ${formatVa(va)}`);
      const r = vma.fault(pageAlignDown(va));
      if ('error' in r) return this.fail('fault', ctx, va, op, r.reason);
      this.m.mapUser(mm, pageAlignDown(va), r.pfn);
    }
    throw new ModelUsageError('unreachable: translation loop ended without an entry');
  }

  // Models a TLB fill after a walk: the entry remembers the frame identity it translated to.
  private fill(cpu: Cpu, asid: number, vpn: number, pte: Pte, region: string): number {
    const viaDirectMap = region === 'direct-map';
    const scope = region === 'user' ? -1 : asid;
    const tlb: Tlb = cpu.tlb;
    const slot = tlb.fill(
      asid,
      vpn,
      pte.pfn,
      pte.gen,
      pte.ident,
      viaDirectMap,
      scope,
      false,
      this.m.shootdown.slotGone,
    );
    if (scope >= 0) this.m.oracle.addRef(pte.pfn, scope, pte.ident ?? '', viaDirectMap);
    return slot;
  }

  private fail(
    kind: 'oops' | 'fault',
    ctx: ExecContext,
    va: Va,
    op: AccessOp,
    reason: string,
  ): AccessOutcome {
    const rec: AccessRecord = {
      cpu: ctx.cpu.id,
      mode: ctx.mode,
      who: ctx.who ?? ctx.cpu.current,
      va: formatVa(va),
      op,
      reason,
      atNs: this.m.ledger.nowNs,
    };
    this.m.record(kind, rec);
    if (kind === 'oops') this.m.ledger.counters.oopses++;
    else this.m.ledger.counters.faults++;
    return { ok: false, kind, reason };
  }
}
