import { AccessLog } from './access-log.ts';
import { Calibration, defaultCalibration } from './calibration.ts';
import { Cpu, type ExecContext } from './cpu.ts';
import { DirectMap, type RemoveResult } from './direct-map.ts';
import { ModelUsageError } from './errors.ts';
import { PhysicalMemory } from './frames.ts';
import {
  formatVa,
  offsetInPage,
  PAGE_OFFSET,
  PAGE_SIZE,
  type Pfn,
  regionOf,
  type Va,
  VMALLOC_SIZE,
  VMALLOC_START,
  vpnOf,
} from './layout.ts';
import { CostLedger } from './ledger.ts';
import { MACHINE_DEFAULTS, MACHINE_LIMITS, rangeProblem } from './machine-limits.ts';
import { Mm } from './mm.ts';
import { type AccessOp, type AccessOutcome, type AccessRecord, Mmu, type Translation } from './mmu.ts';
import { GLOBAL_SCOPE, SafetyOracle } from './oracle.ts';
import { PAGEBLOCK_PAGES } from './page-alloc.ts';
import { PageChanges } from './page-changes.ts';
import { PageTable, type Pte } from './page-table.ts';
import { type Reachability, reachabilityOf } from './reachability.ts';
import { TlbDirectory } from './tlb-directory.ts';
import { TlbShootdown } from './tlb-flush.ts';
import { VaRange } from './va-range.ts';

export type { AccessOp, AccessOutcome, AccessRecord, Translation } from './mmu.ts';
export type { Reachability } from './reachability.ts';

export interface MachineOptions {
  /** Online CPUs. */
  cpus: number;
  /** Translations each CPU's TLB holds (default 1536, an STLB's size). */
  tlbEntries?: number;
  /** RAM in GiB (default 64); frames exist only once used. */
  memGiB?: number;
  /**
   * Free 2 MiB pageblocks at start (default: all memory): the rest is held by other users (page
   * cache), so the allocator falls back across migratetypes as a host under memory pressure does.
   */
  freePageblocks?: number;
  /** Leaf size the direct map is built with at boot (default 1G, as x86 with gbpages). */
  directMapLeaf?: '1G' | '2M';
  /** Clock of the modelled CPUs, converting cycles to simulated time (default: the table's). */
  ghz?: number;
  /** Cost overrides by calibration row name. */
  calibration?: Readonly<Record<string, number>>;
  /** tlb_single_page_flush_ceiling (x86 default 33). */
  singlePageFlushCeiling?: number;
  /** Oops and fault records kept (the first and the latest this many each); counts stay exact. */
  accessRecordLimit?: number;
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
  /** Every oops counted (`count`), the first and latest records kept, so memory never grows per event. */
  readonly oopsLog: AccessLog;
  readonly faultLog: AccessLog;
  readonly singlePageFlushCeiling: number;
  /** Which CPUs cache which translation (the reverse of every TLB; derived state, read by checks). */
  readonly tlbDirectory = new TlbDirectory();
  // ES-private (#) state below is reached only through this class's methods, which is where a
  // checker recording accesses (the explorer) sees it: nothing outside names these fields.
  /** CPUs taken offline (kept by the CPUs themselves, so nothing scans for them). */
  readonly #offline = new Set<number>();
  readonly #shootdown: TlbShootdown;
  readonly #mmu: Mmu;
  #nextMmId = 1;
  /** The CPU whose thread is running now (the scheduler sets it): page allocation is per CPU. */
  currentCpu = 0;

  constructor(readonly options: MachineOptions) {
    const memGiB = options.memGiB ?? MACHINE_DEFAULTS.memGiB;
    const tlbEntries = options.tlbEntries ?? MACHINE_DEFAULTS.tlbEntries;
    const problem =
      rangeProblem('machine.cpus', MACHINE_LIMITS.cpus, options.cpus) ??
      rangeProblem('machine.memGiB', MACHINE_LIMITS.memGiB, memGiB) ??
      rangeProblem('machine.tlbEntries', MACHINE_LIMITS.tlbEntries, tlbEntries) ??
      (options.ghz === undefined ? null : rangeProblem('machine.ghz', MACHINE_LIMITS.ghz, options.ghz)) ??
      (options.freePageblocks === undefined
        ? null
        : rangeProblem('machine.freePageblocks', MACHINE_LIMITS.freePageblocks, options.freePageblocks));
    if (problem !== null) throw new ModelUsageError(problem);
    const recordLimit = options.accessRecordLimit ?? MACHINE_DEFAULTS.accessRecordLimit;
    if (!Number.isInteger(recordLimit) || recordLimit < 1) {
      throw new ModelUsageError(
        `machine.accessRecordLimit: must be a positive integer, got ${recordLimit} (leave it out for ${MACHINE_DEFAULTS.accessRecordLimit})`,
      );
    }
    this.oopsLog = new AccessLog(recordLimit);
    this.faultLog = new AccessLog(recordLimit);
    const table =
      options.ghz === undefined ? defaultCalibration : { ...defaultCalibration, ghz: options.ghz };
    this.calibration = new Calibration(options.calibration ?? {}, table);
    this.ledger = new CostLedger(this.calibration);
    const totalPages = Math.floor((memGiB * 2 ** 30) / PAGE_SIZE);
    this.mem = new PhysicalMemory(
      totalPages,
      undefined,
      options.freePageblocks === undefined ? undefined : options.freePageblocks * PAGEBLOCK_PAGES,
    );
    this.directMap = new DirectMap(totalPages, this.ledger, options.directMapLeaf ?? '1G');
    this.kernelPt = new PageTable('kernel:vmalloc', this.ledger);
    this.vmalloc = new VaRange('vmalloc', VMALLOC_START, VMALLOC_SIZE, this.ledger);
    this.oracle = new SafetyOracle(this.ledger, this.mem, () => this.directMap);
    this.mem.setListener(this.oracle);
    this.mem.cpuOf = () => this.currentCpu;
    const shared = { directory: this.tlbDirectory, offline: this.#offline };
    this.cpus = Array.from({ length: options.cpus }, (_, i) => new Cpu(i, tlbEntries, shared));
    this.singlePageFlushCeiling = options.singlePageFlushCeiling ?? 33;
    this.#shootdown = new TlbShootdown(
      this.cpus,
      this.#offline,
      this.tlbDirectory,
      this.ledger,
      this.oracle,
      this.singlePageFlushCeiling,
    );
    this.#mmu = new Mmu({
      mem: this.mem,
      directMap: this.directMap,
      kernelPt: this.kernelPt,
      ledger: this.ledger,
      oracle: this.oracle,
      shootdown: this.#shootdown,
      mapUser: (mm, va, pfn) => this.mapUser(mm, va, pfn),
      record: (kind, rec) => (kind === 'oops' ? this.oopsLog : this.faultLog).add(rec),
    });
  }

  /** The first oops records (up to `accessRecordLimit`); `oopsLog.count` counts them all. */
  get oopses(): readonly AccessRecord[] {
    return this.oopsLog.records;
  }

  /** The first failed user accesses (up to `accessRecordLimit`); `faultLog.count` counts them all. */
  get faults(): readonly AccessRecord[] {
    return this.faultLog.records;
  }

  /** Online CPUs, counted without a scan. */
  get onlineCount(): number {
    return this.cpus.length - this.#offline.size;
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
    const mm = new Mm(this.#nextMmId++, name, this.ledger);
    this.mms.set(mm.id, mm);
    mm.userPt.changes = this.#pageChanges;
    mm.localPt.changes = this.#pageChanges;
    return mm;
  }

  /** The change log every page table, TLB and the direct map report to, once watchPageChanges ran. */
  #pageChanges: PageChanges | null = null;

  /**
   * From now on, record which pages' translations change (PageChanges): for a checker that re-examines
   * only what changed. Idempotent: a second call returns the same log.
   */
  watchPageChanges(): PageChanges {
    if (this.#pageChanges !== null) return this.#pageChanges;
    const changes = new PageChanges();
    this.#pageChanges = changes;
    this.kernelPt.changes = changes;
    this.directMap.changes = changes;
    for (const cpu of this.cpus) cpu.tlb.changes = changes;
    for (const mm of this.mms.values()) {
      mm.userPt.changes = changes;
      mm.localPt.changes = changes;
    }
    return changes;
  }

  readonly #mmTeardown: Array<(mm: Mm) => void> = [];

  /** Be told when an mm is torn down (state kept per mm, e.g. an mm-local VA allocator, dies with it). */
  onMmTeardown(hook: (mm: Mm) => void): void {
    this.#mmTeardown.push(hook);
  }

  /** Tear an mm down: its TLB entries, mm-local and user PTEs and page-table pages go. */
  destroyMm(mm: Mm): void {
    if (!mm.alive) return;
    for (const hook of this.#mmTeardown) hook(mm);
    if (this.#pageChanges !== null) this.#pageChanges.everything = true;
    this.#shootdown.dropMm(mm);
    for (const id of mm.cpumask) {
      const cpu = this.cpus[id];
      if (cpu?.loadedMm === mm) cpu.loadedMm = null;
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
    // Which mm a CPU has loaded decides what its user and mm-local addresses translate to.
    if (this.#pageChanges !== null) this.#pageChanges.everything = true;
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

  private markStale(asid: number, vpn: number, newPfn: Pfn | null): void {
    this.#shootdown.markStale(asid, vpn, newPfn);
  }

  private expectRegion(va: Va, region: ReturnType<typeof regionOf>): void {
    if (regionOf(va) !== region || offsetInPage(va) !== 0) {
      throw new ModelUsageError(`${formatVa(va)} is not a page-aligned ${region} address`);
    }
  }

  // ---- TLB maintenance (tlb-flush.ts) ----------------------------------------------------

  // Models a local invlpg (flush_tlb_one_kernel / flush_tlb_one_user on this CPU only).
  flushLocalPage(cpu: Cpu, va: Va): void {
    this.#shootdown.flushLocalPage(cpu, va);
  }

  // Models flush_tlb_local() (non-global entries) or __flush_tlb_all() (everything) on one CPU.
  flushLocalAll(cpu: Cpu, includeGlobal: boolean): void {
    this.#shootdown.flushLocalAll(cpu, includeGlobal);
  }

  // Models flush_tlb_kernel_range(): every online CPU flushes, IPIs to all but the initiator.
  flushTlbKernelRange(initiator: Cpu, start: Va, end: Va): { fullFlush: boolean; ipis: number } {
    return this.#shootdown.flushKernelRange(initiator, start, end);
  }

  // Models flush_tlb_mm_range() for an mm's non-global entries: IPIs to the mm's cpumask only.
  flushTlbMm(initiator: Cpu | null, mm: Mm, start: Va, end: Va): { ipis: number } {
    return this.#shootdown.flushMm(initiator, mm, start, end);
  }

  // Models kvm_vcpu_kick() / smp_send_reschedule(): one IPI to a CPU, no TLB work.
  kickCpu(from: Cpu, target: Cpu): void {
    this.#shootdown.kickCpu(from, target);
  }

  // ---- access (mmu.ts) and reachability (reachability.ts) ----------------------------------

  /** Every kernel translation of pfn now (a scan: for checks and tests, not per access). */
  reachability(pfn: Pfn): Reachability {
    return reachabilityOf(this, pfn);
  }

  /** Look a translation up the way the CPU would, without changing any state. */
  translate(cpu: Cpu, va: Va): Translation | null {
    return this.#mmu.translate(cpu, va);
  }

  /**
   * A load or store of `len` bytes at `va` from a CPU: TLB, then page walk (see Mmu.access).
   * `expectIdent`: what the caller believes the page holds (a gpc's pfn identity); a frame in
   * another life makes the access a use-after-free, counted once by the oracle.
   */
  access(
    ctx: ExecContext,
    va: Va,
    len: number,
    op: AccessOp,
    data?: Uint8Array,
    expectIdent?: string,
  ): AccessOutcome {
    return this.#mmu.access(ctx, va, len, op, data, expectIdent);
  }
}
