import { Calibration, defaultCalibration } from './calibration.ts';
import { Cpu, type ExecContext, type ExecMode } from './cpu.ts';
import { DirectMap, type RemoveResult } from './direct-map.ts';
import { ModelUsageError } from './errors.ts';
import { FREE, PhysicalMemory } from './frames.ts';
import {
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
import { CostLedger } from './ledger.ts';
import { MACHINE_DEFAULTS, MACHINE_LIMITS, rangeProblem } from './machine-limits.ts';
import { Mm } from './mm.ts';
import { GLOBAL_SCOPE, SafetyOracle } from './oracle.ts';
import { PageTable, type Pte } from './page-table.ts';
import { type TlbEntry, tlbKey } from './tlb.ts';
import { VaRange } from './va-range.ts';

export interface MachineOptions {
  /** Online CPUs. */
  cpus: number;
  /** Translations each CPU's TLB holds (default 1536, an STLB's size). */
  tlbEntries?: number;
  /** RAM in GiB (default 64); frames exist only once used. */
  memGiB?: number;
  /** Leaf size the direct map is built with at boot (default 1G, as x86 with gbpages). */
  directMapLeaf?: '1G' | '2M';
  /** Clock of the modelled CPUs, converting cycles to simulated time (default: the table's). */
  ghz?: number;
  /** Cost overrides by calibration row name. */
  calibration?: Readonly<Record<string, number>>;
  /** tlb_single_page_flush_ceiling (x86 default 33). */
  singlePageFlushCeiling?: number;
}

export type AccessOp = 'read' | 'write';

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

/** Every kernel translation of one frame at this instant: which mms and CPUs can reach it. */
export interface Reachability {
  readonly pfn: Pfn;
  /** Its direct-map PTE is present (reachable from every mm). */
  readonly directMap: boolean;
  /** Kernel PTEs mapping it: scope 0 is the global vmalloc range, else the mm-local region of that mm. */
  readonly ptes: ReadonlyArray<{ readonly scope: number; readonly va: Va }>;
  /** Kernel TLB entries that translate to it, stale ones included (scope as for ptes). */
  readonly tlb: ReadonlyArray<{
    readonly cpu: number;
    readonly scope: number;
    readonly va: Va;
    readonly stale: boolean;
  }>;
  /** The mms it is reachable from: 'all' when any translation is global, else mm ids (ascending). */
  readonly mms: 'all' | readonly number[];
  /** Online CPUs that can translate to it now: a usable TLB entry, or a PTE their page walk reaches. */
  readonly cpus: readonly number[];
}

/**
 * The machine: physical memory, the kernel address space (direct map, vmalloc, per-mm local
 * regions), user page tables, CPUs with TLBs, flush primitives with IPIs, the cost ledger and
 * the safety oracle. Every mapping primitive a backend uses goes through here, so every cost
 * and every exposure is accounted once.
 */
export class Machine {
  readonly calibration: Calibration;
  readonly ledger: CostLedger;
  readonly mem: PhysicalMemory;
  readonly directMap: DirectMap;
  /** Page tables of the vmalloc/ioremap range: shared by every mm (global). */
  readonly kernelPt: PageTable;
  readonly vmalloc: VaRange;
  readonly oracle: SafetyOracle;
  readonly cpus: Cpu[];
  readonly mms = new Map<number, Mm>();
  readonly oopses: AccessRecord[] = [];
  readonly faults: AccessRecord[] = [];
  readonly singlePageFlushCeiling: number;
  private nextMmId = 1;
  /** The CPU whose thread is running now (the scheduler sets it): page allocation is per CPU. */
  currentCpu = 0;

  constructor(readonly options: MachineOptions) {
    const memGiB = options.memGiB ?? MACHINE_DEFAULTS.memGiB;
    const tlbEntries = options.tlbEntries ?? MACHINE_DEFAULTS.tlbEntries;
    const problem =
      rangeProblem('machine.cpus', MACHINE_LIMITS.cpus, options.cpus) ??
      rangeProblem('machine.memGiB', MACHINE_LIMITS.memGiB, memGiB) ??
      rangeProblem('machine.tlbEntries', MACHINE_LIMITS.tlbEntries, tlbEntries) ??
      (options.ghz === undefined ? null : rangeProblem('machine.ghz', MACHINE_LIMITS.ghz, options.ghz));
    if (problem !== null) throw new ModelUsageError(problem);
    const table =
      options.ghz === undefined ? defaultCalibration : { ...defaultCalibration, ghz: options.ghz };
    this.calibration = new Calibration(options.calibration ?? {}, table);
    this.ledger = new CostLedger(this.calibration);
    const totalPages = Math.floor((memGiB * 2 ** 30) / PAGE_SIZE);
    this.mem = new PhysicalMemory(totalPages);
    this.directMap = new DirectMap(totalPages, this.ledger, options.directMapLeaf ?? '1G');
    this.kernelPt = new PageTable('kernel:vmalloc', this.ledger);
    this.vmalloc = new VaRange('vmalloc', VMALLOC_START, VMALLOC_SIZE, this.ledger);
    this.oracle = new SafetyOracle(this.ledger, this.mem, () => this.directMap);
    this.mem.setListener(this.oracle);
    this.mem.cpuOf = () => this.currentCpu;
    this.cpus = Array.from({ length: options.cpus }, (_, i) => new Cpu(i, tlbEntries));
    this.singlePageFlushCeiling = options.singlePageFlushCeiling ?? 33;
  }

  get onlineCpus(): Cpu[] {
    return this.cpus.filter((c) => c.online);
  }

  cpu(id: number): Cpu {
    const c = this.cpus[id];
    if (!c) throw new ModelUsageError(`cpu ${id} does not exist (machine has ${this.cpus.length})`);
    return c;
  }

  // ---- address spaces -------------------------------------------------------------------

  createMm(name: string): Mm {
    const mm = new Mm(this.nextMmId++, name, this.ledger);
    this.mms.set(mm.id, mm);
    return mm;
  }

  private readonly mmTeardown: Array<(mm: Mm) => void> = [];

  /** Be told when an mm is torn down (state kept per mm, e.g. an mm-local VA allocator, dies with it). */
  onMmTeardown(hook: (mm: Mm) => void): void {
    this.mmTeardown.push(hook);
  }

  /** Tear an mm down: its TLB entries, mm-local and user PTEs and page-table pages go. */
  destroyMm(mm: Mm): void {
    if (!mm.alive) return;
    for (const hook of this.mmTeardown) hook(mm);
    for (const cpu of this.cpus) {
      for (const e of cpu.tlb.removeWhere((x) => x.asid === mm.id)) this.entryGone(e);
      if (cpu.loadedMm === mm) cpu.loadedMm = null;
    }
    for (const [, pte] of mm.localPt.destroy()) this.oracle.dropRef(pte.pfn, mm.id, pte.ident ?? '', false);
    mm.userPt.destroy();
    mm.cpumask.clear();
    mm.alive = false;
    this.mms.delete(mm.id);
  }

  // Models switch_mm_irqs_off(): CR3 write with PCID (TLB entries of both mms are kept).
  switchMm(cpu: Cpu, mm: Mm | null): void {
    if (cpu.loadedMm === mm) return;
    if (cpu.loadedMm) cpu.loadedMm.cpumask.delete(cpu.id);
    cpu.loadedMm = mm;
    if (mm) mm.cpumask.add(cpu.id);
    this.ledger.charge('cr3Write');
    this.ledger.charge('switchMm');
  }

  // ---- page-table updates (no flushes: callers flush as their kernel code does) ----------

  /** Set a PTE in the global vmalloc/ioremap range. */
  mapGlobal(va: Va, pfn: Pfn): void {
    this.expectRegion(va, 'vmalloc');
    this.setPte(this.kernelPt, GLOBAL_SCOPE, va, pfn);
  }

  /** Clear a global PTE; TLB entries stay (stale) until flushed. Returns the old PTE. */
  unmapGlobal(va: Va): Pte | undefined {
    this.expectRegion(va, 'vmalloc');
    return this.clearPte(this.kernelPt, GLOBAL_SCOPE, va);
  }

  mapLocal(mm: Mm, va: Va, pfn: Pfn): void {
    this.expectRegion(va, 'mm-local');
    this.setPte(mm.localPt, mm.id, va, pfn);
  }

  unmapLocal(mm: Mm, va: Va): Pte | undefined {
    this.expectRegion(va, 'mm-local');
    return this.clearPte(mm.localPt, mm.id, va);
  }

  mapUser(mm: Mm, va: Va, pfn: Pfn): void {
    this.expectRegion(va, 'user');
    const f = this.mem.get(pfn);
    mm.userPt.set(vpnOf(va), { pfn, gen: f?.gen ?? 0, ident: f?.ident ?? 'free' });
    this.markStale(mm.id, vpnOf(va), pfn);
  }

  unmapUser(mm: Mm, va: Va): Pte | undefined {
    this.expectRegion(va, 'user');
    const old = mm.userPt.clear(vpnOf(va));
    if (old) this.markStale(mm.id, vpnOf(va), null);
    return old;
  }

  // Models set_direct_map_invalid_noflush() on one page; the caller decides on the flush.
  removeFromDirectMap(pfn: Pfn): RemoveResult {
    const va = this.pageAddress(pfn);
    const r = this.directMap.remove(pfn);
    this.markStale(0, vpnOf(va), null);
    this.oracle.directMapChanged(pfn);
    return r;
  }

  // Models set_direct_map_default_noflush(): no flush is needed to make a PTE present.
  restoreToDirectMap(pfn: Pfn): void {
    if (this.directMap.restore(pfn)) this.oracle.directMapChanged(pfn);
  }

  /** page_address(): the direct-map alias (valid whether or not the PTE is present). */
  pageAddress(pfn: Pfn): Va {
    if (!this.mem.isRam(pfn)) throw new ModelUsageError(`pfn ${pfn} is not RAM`);
    return PAGE_OFFSET + pfn * PAGE_SIZE;
  }

  private setPte(pt: PageTable, scope: number, va: Va, pfn: Pfn): void {
    if (!this.mem.isRam(pfn)) throw new ModelUsageError(`pfn ${pfn} is not RAM`);
    const f = this.mem.get(pfn);
    const ident = f?.ident ?? 'free';
    const vpn = vpnOf(va);
    const prev = pt.set(vpn, { pfn, gen: f?.gen ?? 0, ident });
    if (prev) this.oracle.dropRef(prev.pfn, scope, prev.ident ?? '', false);
    this.oracle.addRef(pfn, scope, ident, false);
    this.markStale(scope, vpn, pfn);
  }

  private clearPte(pt: PageTable, scope: number, va: Va): Pte | undefined {
    const vpn = vpnOf(va);
    const prev = pt.clear(vpn);
    if (!prev) return undefined;
    this.oracle.dropRef(prev.pfn, scope, prev.ident ?? '', false);
    this.markStale(scope, vpn, null);
    return prev;
  }

  /** After a PTE change, every TLB entry that no longer matches it becomes stale. */
  private markStale(asid: number, vpn: number, newPfn: Pfn | null): void {
    const key = tlbKey(asid, vpn);
    for (const cpu of this.cpus) {
      const e = cpu.tlb.entries.get(key);
      if (e && !e.stale && e.pfn !== newPfn) {
        e.stale = true;
        if (e.scope >= 0) this.oracle.staleChanged(1);
      }
    }
  }

  private expectRegion(va: Va, region: ReturnType<typeof regionOf>): void {
    if (regionOf(va) !== region || va % PAGE_SIZE !== 0) {
      throw new ModelUsageError(`${formatVa(va)} is not a page-aligned ${region} address`);
    }
  }

  // ---- TLB maintenance ------------------------------------------------------------------

  private entryGone(e: TlbEntry): void {
    if (e.scope < 0) return;
    if (e.stale) this.oracle.staleChanged(-1);
    this.oracle.dropRef(e.pfn, e.scope, e.ident ?? '', e.viaDirectMap);
  }

  // Models a local invlpg (flush_tlb_one_kernel / flush_tlb_one_user on this CPU only).
  flushLocalPage(cpu: Cpu, va: Va): void {
    const vpn = vpnOf(va);
    const g = cpu.tlb.remove(tlbKey(0, vpn));
    if (g) this.entryGone(g);
    if (cpu.loadedMm) {
      const u = cpu.tlb.remove(tlbKey(cpu.loadedMm.id, vpn));
      if (u) this.entryGone(u);
    }
    this.ledger.charge('invlpg');
    this.ledger.counters.tlbFlushesLocal++;
  }

  // Models flush_tlb_local() (non-global entries) or __flush_tlb_all() (everything) on one CPU.
  flushLocalAll(cpu: Cpu, includeGlobal: boolean): void {
    for (const e of cpu.tlb.removeWhere((x) => includeGlobal || x.asid !== 0)) this.entryGone(e);
    this.ledger.charge(includeGlobal ? 'flushAllGlobal' : 'flushLocalAll');
    this.ledger.counters.tlbFlushesLocal++;
  }

  // Models flush_tlb_kernel_range(): every online CPU flushes (IPIs to all but the initiator);
  // above tlb_single_page_flush_ceiling pages each does a full flush instead of invlpg per page.
  flushTlbKernelRange(initiator: Cpu, start: Va, end: Va): { fullFlush: boolean; ipis: number } {
    const pages = Math.max(1, Math.ceil((end - start) / PAGE_SIZE));
    const full = pages > this.singlePageFlushCeiling;
    const first = vpnOf(start);
    for (const cpu of this.onlineCpus) {
      if (full) {
        for (const e of cpu.tlb.removeWhere(() => true)) this.entryGone(e);
        this.ledger.charge('flushAllGlobal');
      } else {
        for (let i = 0; i < pages; i++) {
          const e = cpu.tlb.remove(tlbKey(0, first + i));
          if (e) this.entryGone(e);
        }
        this.ledger.charge('invlpg', pages);
      }
    }
    const ipis = this.sendIpis(this.onlineCpus.length - (initiator.online ? 1 : 0));
    this.ledger.counters.tlbFlushesGlobal++;
    return { fullFlush: full, ipis };
  }

  // Models flush_tlb_mm_range() for an mm's non-global entries: IPIs only to the CPUs that have
  // the mm loaded (its cpumask); other CPUs drop the mm's entries without an IPI, which stands
  // for the deferred flush switch_mm does when it sees the mm's tlb_gen moved.
  flushTlbMm(initiator: Cpu | null, mm: Mm, start: Va, end: Va): { ipis: number } {
    const pages = Math.max(1, Math.ceil((end - start) / PAGE_SIZE));
    const full = pages > this.singlePageFlushCeiling;
    const first = vpnOf(start);
    let targets = 0;
    for (const cpu of this.cpus) {
      const loaded = mm.cpumask.has(cpu.id) && cpu.online;
      if (full || !loaded) {
        const gone = cpu.tlb.removeWhere(
          (e) => e.asid === mm.id && (full || (e.vpn >= first && e.vpn < first + pages)),
        );
        for (const e of gone) this.entryGone(e);
      } else {
        for (let i = 0; i < pages; i++) {
          const e = cpu.tlb.remove(tlbKey(mm.id, first + i));
          if (e) this.entryGone(e);
        }
      }
      if (loaded) {
        this.ledger.charge(full ? 'flushLocalAll' : 'invlpg', full ? 1 : pages);
        if (cpu !== initiator) targets++;
      }
    }
    const ipis = this.sendIpis(targets);
    this.ledger.counters.tlbFlushesMm++;
    return { ipis };
  }

  // Models kvm_vcpu_kick() / smp_send_reschedule(): one IPI to a CPU, no TLB work.
  kickCpu(from: Cpu, target: Cpu): void {
    if (from === target) return;
    this.sendIpis(1);
  }

  private sendIpis(targets: number): number {
    if (targets <= 0) return 0;
    this.ledger.charge('ipiInitiatorBase');
    this.ledger.charge('ipiPerTarget', targets);
    this.ledger.charge('ipiTargetHandler', targets);
    this.ledger.counters.ipis += targets;
    return targets;
  }

  // ---- access -----------------------------------------------------------------------------

  // Not a kernel function: the oracle's question "who can reach this frame?", answered by
  // scanning kernel PTEs and TLBs (user PTEs are the owner's own mappings and are left out).
  reachability(pfn: Pfn): Reachability {
    const ptes: Array<{ scope: number; va: Va }> = [];
    for (const [vpn, pte] of this.kernelPt.entries()) {
      if (pte.pfn === pfn) ptes.push({ scope: GLOBAL_SCOPE, va: vpn * PAGE_SIZE });
    }
    for (const mm of this.mms.values()) {
      for (const [vpn, pte] of mm.localPt.entries())
        if (pte.pfn === pfn) ptes.push({ scope: mm.id, va: vpn * PAGE_SIZE });
    }
    const directMap = this.directMap.isPresent(pfn);
    const tlb: Array<{ cpu: number; scope: number; va: Va; stale: boolean }> = [];
    const cpus: number[] = [];
    for (const cpu of this.cpus) {
      let reaches = directMap || ptes.some((p) => p.scope === GLOBAL_SCOPE || p.scope === cpu.loadedMm?.id);
      for (const e of cpu.tlb.entries.values()) {
        if (e.scope < 0 || e.pfn !== pfn) continue;
        tlb.push({ cpu: cpu.id, scope: e.scope, va: e.vpn * PAGE_SIZE, stale: e.stale });
        if (e.asid === 0 || e.asid === cpu.loadedMm?.id) reaches = true;
      }
      if (reaches && cpu.online) cpus.push(cpu.id);
    }
    const scopes = new Set([...ptes, ...tlb].map((x) => x.scope));
    const mms = directMap || scopes.has(GLOBAL_SCOPE) ? 'all' : [...scopes].sort((a, b) => a - b);
    return { pfn, directMap, ptes, tlb, mms, cpus };
  }

  /** Look a translation up the way the CPU would, without changing any state. */
  translate(cpu: Cpu, va: Va): Translation | null {
    const vpn = vpnOf(va);
    const region = regionOf(va);
    const asid = region === 'direct-map' || region === 'vmalloc' ? 0 : (cpu.loadedMm?.id ?? -1);
    if (asid < 0) return null;
    const e = cpu.tlb.lookup(asid, vpn);
    if (e) return { pfn: e.pfn, gen: e.gen, via: 'tlb', stale: e.stale };
    const pte = this.walk(cpu, va);
    return pte ? { pfn: pte.pfn, gen: pte.gen, via: 'pte', stale: false } : null;
  }

  private walk(cpu: Cpu, va: Va): Pte | undefined {
    const vpn = vpnOf(va);
    switch (regionOf(va)) {
      case 'direct-map': {
        const pfn = directMapPfn(va);
        if (!this.mem.isRam(pfn) || !this.directMap.isPresent(pfn)) return undefined;
        const f = this.mem.get(pfn);
        return { pfn, gen: f?.gen ?? 0, ident: f?.ident ?? 'free' };
      }
      case 'vmalloc':
        return this.kernelPt.get(vpn);
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
  access(ctx: ExecContext, va: Va, len: number, op: AccessOp, data?: Uint8Array): AccessOutcome {
    if (len <= 0 || offsetInPage(va) + len > PAGE_SIZE) {
      throw new ModelUsageError(`access of ${len} bytes at ${formatVa(va)} crosses a page`);
    }
    const cpu = ctx.cpu;
    const region = regionOf(va);
    const vpn = vpnOf(va);
    const global = region === 'direct-map' || region === 'vmalloc';
    const mm = cpu.loadedMm;
    let entry: TlbEntry | undefined;
    let tlbHit = false;
    for (let attempt = 0; attempt < 2 && !entry; attempt++) {
      const asid = global ? 0 : (mm?.id ?? -1);
      entry = asid >= 0 ? cpu.tlb.lookup(asid, vpn) : undefined;
      if (entry) {
        tlbHit = true;
        this.ledger.charge('tlbHit');
        break;
      }
      this.ledger.charge('pageWalk');
      this.ledger.counters.tlbMisses++;
      const pte = this.walk(cpu, va);
      if (pte) {
        entry = this.fill(cpu, global ? 0 : asid, vpn, pte, region);
        break;
      }
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
      this.mapUser(mm, pageAlignDown(va), r.pfn);
    }
    if (!entry) throw new ModelUsageError('unreachable: translation loop ended without an entry');
    const frame = this.mem.get(entry.pfn);
    // A direct-map entry is right in every life of the frame (page_address() never changes),
    // so only a free frame makes it a use-after-free; other entries also go stale on reuse.
    const useAfterFree =
      !frame ||
      frame.owner === FREE ||
      (!entry.viaDirectMap && entry.ident !== undefined && frame.ident !== entry.ident);
    if (useAfterFree && entry.scope >= 0) this.oracle.useAfterFreeAccess();
    this.ledger.charge('cacheAccess');
    let out: Uint8Array | null = null;
    if (frame) {
      if (op === 'write') this.mem.write(frame, offsetInPage(va), data ?? new Uint8Array(len));
      else out = this.mem.read(frame, offsetInPage(va), len);
    }
    return { ok: true, pfn: entry.pfn, tlbHit, stale: entry.stale, useAfterFree, data: out };
  }

  private fill(cpu: Cpu, asid: number, vpn: number, pte: Pte, region: string): TlbEntry {
    const viaDirectMap = region === 'direct-map';
    const scope = region === 'user' ? -1 : asid;
    const entry: TlbEntry = {
      key: tlbKey(asid, vpn),
      vpn,
      asid,
      pfn: pte.pfn,
      gen: pte.gen,
      ...(pte.ident !== undefined ? { ident: pte.ident } : {}),
      viaDirectMap,
      scope,
      stale: false,
    };
    const evicted = cpu.tlb.insert(entry);
    if (evicted) this.entryGone(evicted);
    if (scope >= 0) this.oracle.addRef(pte.pfn, scope, pte.ident ?? '', viaDirectMap);
    return entry;
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
      atNs: this.ledger.nowNs,
    };
    if (kind === 'oops') {
      this.oopses.push(rec);
      this.ledger.counters.oopses++;
    } else {
      this.faults.push(rec);
      this.ledger.counters.faults++;
    }
    return { ok: false, kind, reason };
  }
}
