import {
  type ExecContext,
  type Machine,
  type Mm,
  ModelUsageError,
  PAGE_SIZE,
  type Pfn,
  type Sensitivity,
  type SimThread,
  type ThreadBody,
  type Va,
  type Vma,
  vpnOf,
} from '@khva/memory-core';
import type { ErrnoResult } from './errno.ts';
import { type GmemFlags, GuestMemfd } from './guest-memfd.ts';
import type { KernelOptions } from './kernel-options.ts';
import {
  type Backing,
  GEN_UPDATE_IN_PROGRESS,
  isGmemOnly,
  KVM_ADDRESS_SPACE_NUM,
  type Memslot,
  Memslots,
} from './memslots.ts';

/** What invalidation calls on each registered cache (gfn_to_pfn_cache_invalidate_start's walk). */
export interface InvalidationSubscriber {
  invalidateStart(t: SimThread, start: Va, end: Va): ThreadBody<void>;
}

export interface MemslotSpec {
  readonly slot: number;
  readonly gfn: number;
  readonly pages: number;
  readonly backing: Backing;
  /** userspace_addr (for gmem: where the VMM maps the file, if it does). */
  readonly hva: Va;
  /** guest_memfd flags (gmem backing only). */
  readonly gmemFlags?: GmemFlags;
  /** The VMM has the gmem file mapped at hva (default: true when the file allows mmap). */
  readonly vmmMapped?: boolean;
  /** Sensitivity of the slot's pages (default: secret for gmem, none for anon VMM memory). */
  readonly sensitivity?: Sensitivity;
}

export interface InflightInvalidation {
  readonly start: Va;
  readonly end: Va;
  readonly source: 'mmu-notifier' | 'gmem' | 'attributes';
  /** The source invalidates caches (false for guest_memfd without kernel.gmemInvalidation). */
  readonly reachesGpc: boolean;
  /** The caches have been walked for this range (at once for a source that never walks them). */
  walked: boolean;
}

/** What a guest_memfd invalidation begin decided, handed to its end (bindings are stable between). */
export interface GmemInvalidation {
  readonly file: GuestMemfd;
  readonly first: number;
  readonly end: number;
  /** hva ranges of the memslots bound to the range; non-empty: kvm_mmu_invalidate_begin ran. */
  readonly ranges: ReadonlyArray<readonly [Va, Va]>;
  /** The RFC v2/v3 hook raised the active-invalidation count. */
  readonly counted: boolean;
}

export interface Vcpu {
  readonly id: number;
  readonly thread: string;
}

/**
 * A VM: one mm (the VMM process), memslots with a generation, guest_memfd files, the
 * invalidation state the gpc reads (mmu_invalidate_seq, mmu_invalidate_in_progress and the
 * active-invalidation count) and the list of caches invalidation walks.
 */
export class Vm {
  readonly memslots = new Memslots();
  mmuInvalidateSeq = 0;
  mmuInvalidateInProgress = 0;
  /** mn_active_invalidate_count (active_invalidate_count after the RFC v2/v3 rename). */
  activeInvalidateCount = 0;
  /** Memslot sets published while an mmu-notifier invalidation was active (invariant 12: never). */
  publishedDuringInvalidation = 0;
  /** Threads inside a kvm->srcu read section. */
  srcuReaders = 0;
  readonly gpcList = new Set<InvalidationSubscriber>();
  /** hva ranges of invalidations in flight, and whether each reaches the caches. */
  readonly inflight: InflightInvalidation[] = [];
  readonly gmemFiles: GuestMemfd[] = [];
  readonly vcpus: Vcpu[] = [];
  /** Ordered record of invalidation and page life events, when enabled. */
  events: string[] | null = null;
  alive = true;
  private nextGmem = 0;
  /** The VMM's mappings of guest_memfd files (a VMA not in here is anonymous memory). */
  private readonly gmemVmas = new WeakMap<Vma, { file: GuestMemfd; pgoff: number }>();

  constructor(
    readonly machine: Machine,
    readonly id: number,
    readonly name: string,
    readonly mm: Mm,
    readonly kernel: KernelOptions,
  ) {}

  event(e: string): void {
    this.events?.push(e);
  }

  // ---- memory the VMM owns ----------------------------------------------------------------

  /** mmap(MAP_ANONYMOUS) in the VMM: pages are allocated on first fault. */
  mapAnon(hva: Va, pages: number, tag: Sensitivity = 'none'): Vma {
    const vma = this.anonVma(hva, hva + pages * PAGE_SIZE, tag);
    this.mm.addVma(vma);
    return vma;
  }

  private anonVma(start: Va, end: Va, tag: Sensitivity): Vma {
    const vm = this;
    return {
      start,
      end,
      name: `anon@${start.toString(16)}`,
      gupAllowed: true,
      fault(va: Va) {
        const f = vm.machine.mem.alloc(vm.id, vm.mm.id, tag, `vm${vm.id}:anon:${va.toString(16)}`);
        // do_anonymous_page hands out a zeroed page; a reused frame still holds old bytes.
        f.bytes = null;
        vm.machine.ledger.charge('faultAnon');
        return { pfn: f.pfn, gen: f.gen };
      },
    };
  }

  createGmem(pages: number, flags: GmemFlags, tag: Sensitivity = 'secret'): GuestMemfd {
    const f = new GuestMemfd(this, this.nextGmem++, pages, flags, tag);
    this.gmemFiles.push(f);
    return f;
  }

  /** mmap() of a guest_memfd file into the VMM (only with GUEST_MEMFD_FLAG_MMAP). */
  mapGmem(file: GuestMemfd, hva: Va, pgoff: number, pages: number): Vma {
    if (!file.flags.mmap) throw new ModelUsageError(`guest_memfd ${file.id} was created without MMAP`);
    const vma = this.gmemVma(file, hva, hva + pages * PAGE_SIZE, pgoff);
    this.mm.addVma(vma);
    file.userMappings.push({ hva, pgoff, pages });
    return vma;
  }

  private gmemVma(file: GuestMemfd, start: Va, end: Va, pgoff: number): Vma {
    const vm = this;
    const vma: Vma = {
      start,
      end,
      name: `gmem${file.id}@${start.toString(16)}`,
      // The series marks no-direct-map gmem VMAs so that GUP refuses them.
      gupAllowed: !file.flags.noDirectMap,
      fault(va: Va) {
        const ctx = vm.currentCtx ?? vm.defaultCtx();
        return file.faultUser(ctx, pgoff + (va - start) / PAGE_SIZE);
      },
    };
    this.gmemVmas.set(vma, { file, pgoff });
    return vma;
  }

  /** The context of the thread currently calling into the VM (set around operations). */
  currentCtx: ExecContext | null = null;

  private defaultCtx(): ExecContext {
    return { cpu: this.machine.cpus[0]!, mode: 'process', who: this.name };
  }

  // ---- memslots ---------------------------------------------------------------------------

  // Models __kvm_set_memory_region() (KVM_SET_USER_MEMORY_REGION2) for create and move; a move
  // publishes an invalid copy first, then the final set: two swaps. Unlike the kernel, a gmem
  // slot gets a new file of its own (pgoff 0) and the VMM's memory at hva is mapped here too.
  *setMemslot(t: SimThread, spec: MemslotSpec): ThreadBody<ErrnoResult | 0> {
    const err = this.checkSpec(spec);
    if (err) return err;
    const old = this.memslots.slots.get(spec.slot);
    if (old) {
      // guest_memfd slots are immutable (they can only be deleted), as __kvm_set_memory_region says.
      if (old.gmem || spec.backing === 'gmem') {
        return { errno: 'EINVAL', reason: `slot ${spec.slot}: a guest_memfd memslot can only be deleted` };
      }
      // A move: only the base gfn may change, as the kernel requires.
      if (old.npages !== spec.pages || old.userspaceAddr !== spec.hva || old.backing !== spec.backing) {
        return { errno: 'EINVAL', reason: `slot ${spec.slot}: only the gfn of an existing slot can change` };
      }
      if (old.baseGfn === spec.gfn) return 0;
      const overlap = this.checkOverlap(spec);
      if (overlap) return overlap;
      yield* this.swapMemslots(t, () => this.memslots.slots.set(old.id, { ...old, invalid: true }));
      yield* this.swapMemslots(t, () =>
        this.memslots.slots.set(old.id, { ...old, baseGfn: spec.gfn, invalid: false }),
      );
      this.event(`memslot ${spec.slot}: moved to gfn ${spec.gfn}`);
      return 0;
    }
    const overlap = this.checkOverlap(spec);
    if (overlap) return overlap;
    let gmem: GuestMemfd | null = null;
    if (spec.backing === 'gmem') {
      const flags = spec.gmemFlags ?? { mmap: false, noDirectMap: false };
      gmem = this.createGmem(spec.pages, flags, spec.sensitivity ?? 'secret');
      if (flags.mmap && (spec.vmmMapped ?? true)) this.mapGmem(gmem, spec.hva, 0, spec.pages);
    }
    if (!gmem?.flags.mmap) {
      // The VMM's own memory at userspace_addr (for a gmem slot without MMAP, its shared view).
      if (!this.mm.findVma(spec.hva)) this.mapAnon(spec.hva, spec.pages, spec.sensitivity ?? 'none');
    }
    const slot: Memslot = {
      id: spec.slot,
      baseGfn: spec.gfn,
      npages: spec.pages,
      userspaceAddr: spec.hva,
      backing: spec.backing,
      gmem,
      gmemPgoff: 0,
      invalid: false,
    };
    yield* this.swapMemslots(t, () => this.memslots.slots.set(slot.id, slot));
    this.event(`memslot ${spec.slot}: created (${spec.backing})`);
    return 0;
  }

  // Models __kvm_set_memory_region() with size 0 (KVM_MR_DELETE): the invalid copy, then the set
  // without the slot: two swaps. The gmem file stays until released (no kvm_gmem_unbind).
  *deleteMemslot(t: SimThread, id: number): ThreadBody<ErrnoResult | 0> {
    const old = this.memslots.slots.get(id);
    if (!old) return { errno: 'EINVAL', reason: `slot ${id} does not exist` };
    yield* this.swapMemslots(t, () => this.memslots.slots.set(id, { ...old, invalid: true }));
    yield* this.swapMemslots(t, () => this.memslots.slots.delete(id));
    this.event(`memslot ${id}: deleted`);
    return 0;
  }

  private checkSpec(spec: MemslotSpec): ErrnoResult | null {
    if (!Number.isInteger(spec.pages) || spec.pages < 1)
      return { errno: 'EINVAL', reason: 'pages must be >= 1' };
    if (spec.hva % PAGE_SIZE !== 0) return { errno: 'EINVAL', reason: 'hva must be page aligned' };
    return null;
  }

  /** kvm_check_memslot_overlap(), for create and move only, as the kernel orders its checks. */
  private checkOverlap(spec: MemslotSpec): ErrnoResult | null {
    for (const s of this.memslots.slots.values()) {
      if (s.id === spec.slot) continue;
      if (spec.gfn < s.baseGfn + s.npages && s.baseGfn < spec.gfn + spec.pages) {
        return { errno: 'EEXIST', reason: `gfn range overlaps slot ${s.id}` };
      }
    }
    return null;
  }

  // Models kvm_swap_active_memslots(): wait while invalidations hold the active count (mmu
  // notifier; with the RFC hook also gmem and attributes), publish, expose generation|IN_PROGRESS
  // during synchronize_srcu, then the final generation (+2 on x86). One generation, not per as_id.
  private *swapMemslots(t: SimThread, publish: () => void): ThreadBody<void> {
    while (this.activeInvalidateCount > 0) {
      yield { kind: 'blocked', label: 'memslot-swap-wait', until: () => this.activeInvalidateCount === 0 };
    }
    const gen = this.memslots.generation;
    if (this.activeInvalidateCount > 0) this.publishedDuringInvalidation++;
    publish();
    this.memslots.generation = gen + GEN_UPDATE_IN_PROGRESS;
    this.machine.ledger.charge('memslotUpdate');
    yield { kind: 'sleep', label: 'synchronize-srcu' };
    while (this.srcuReaders > 0)
      yield { kind: 'blocked', label: 'srcu', until: () => this.srcuReaders === 0 };
    this.memslots.generation = gen + KVM_ADDRESS_SPACE_NUM;
    void t;
  }

  // ---- invalidation -----------------------------------------------------------------------

  // Models kvm_mmu_notifier_invalidate_range_start(): raise the active count, invalidate the
  // caches (before mmu_lock), then kvm_mmu_invalidate_begin if a memslot overlaps the range.
  *mmuNotifierInvalidateRangeStart(t: SimThread, start: Va, end: Va): ThreadBody<void> {
    this.activeInvalidateCount++;
    this.machine.ledger.charge('mmuNotifierRange');
    this.event(`mmu-notifier start [${start.toString(16)}, ${end.toString(16)})`);
    yield* this.walkCaches(t, 'mmu-notifier', [[start, end]], true);
    if (this.memslots.overlapsHva(start, end)) this.mmuInvalidateInProgress++;
  }

  // Models kvm_mmu_notifier_invalidate_range_end(): bump the sequence (only if a memslot
  // overlaps), then drop the active count.
  mmuNotifierInvalidateRangeEnd(start: Va, end: Va): void {
    if (this.memslots.overlapsHva(start, end)) {
      this.mmuInvalidateSeq++;
      this.mmuInvalidateInProgress--;
    }
    this.activeInvalidateCount--;
    this.dropInflight('mmu-notifier', start, end);
    this.event(`mmu-notifier end [${start.toString(16)}, ${end.toString(16)})`);
  }

  // Models the gfn_to_pfn_cache_invalidate_start() call of each source: record the ranges as in
  // flight, and (if this source reaches caches) walk the cache list for each.
  private *walkCaches(
    t: SimThread,
    source: InflightInvalidation['source'],
    ranges: ReadonlyArray<readonly [Va, Va]>,
    reachesGpc: boolean,
  ): ThreadBody<void> {
    const entries = ranges.map(([start, end]) => ({ start, end, source, reachesGpc, walked: !reachesGpc }));
    this.inflight.push(...entries);
    if (!reachesGpc) return;
    for (const entry of entries) {
      for (const c of [...this.gpcList]) yield* c.invalidateStart(t, entry.start, entry.end);
      entry.walked = true;
    }
  }

  private dropInflight(source: InflightInvalidation['source'], start: Va, end: Va): void {
    const i = this.inflight.findIndex((x) => x.source === source && x.start === start && x.end === end);
    if (i >= 0) this.inflight.splice(i, 1);
  }

  /** The hva ranges through which the VM's memslots see a range of a gmem file. */
  private gmemHvaRanges(file: GuestMemfd, first: number, end: number): Array<[Va, Va]> {
    const out: Array<[Va, Va]> = [];
    for (const s of this.memslots.slots.values()) {
      if (s.gmem !== file) continue;
      const lo = Math.max(first, s.gmemPgoff);
      const hi = Math.min(end, s.gmemPgoff + s.npages);
      if (lo < hi)
        out.push([
          s.userspaceAddr + (lo - s.gmemPgoff) * PAGE_SIZE,
          s.userspaceAddr + (hi - s.gmemPgoff) * PAGE_SIZE,
        ]);
    }
    return out;
  }

  // Models kvm_gmem_invalidate_begin(): kvm_mmu_invalidate_begin for bound slots; with the
  // RFC v2/v3 hook (kernel.gmemInvalidation) also the active count and the gpc walk by hva.
  // Bindings come from the memslots here (the kernel reads the file's binding xarray); what begin
  // saw is handed to end, as the kernel keeps bindings stable under the filemap invalidate lock.
  *gmemInvalidateBegin(
    t: SimThread,
    file: GuestMemfd,
    first: number,
    end: number,
  ): ThreadBody<GmemInvalidation> {
    const ranges = this.gmemHvaRanges(file, first, end);
    const inv: GmemInvalidation = { file, first, end, ranges, counted: this.kernel.gmemInvalidation };
    this.event(`gmem${file.id}: invalidate begin [${first}, ${end})`);
    if (inv.counted) this.activeInvalidateCount++;
    yield* this.walkCaches(t, 'gmem', ranges, inv.counted);
    if (ranges.length > 0) this.mmuInvalidateInProgress++;
    return inv;
  }

  // Models kvm_gmem_invalidate_end(): bump mmu_invalidate_seq (if begin found a binding), then
  // drop the counts, the active one last.
  gmemInvalidateEnd(inv: GmemInvalidation): void {
    const { file, first, end } = inv;
    if (inv.ranges.length > 0) {
      this.mmuInvalidateSeq++;
      this.mmuInvalidateInProgress--;
    }
    if (inv.counted) this.activeInvalidateCount--;
    for (const [s, e] of inv.ranges) this.dropInflight('gmem', s, e);
    this.event(`gmem${file.id}: invalidate end [${first}, ${end})`);
  }

  // Models zap_page_range_single()/unmap_mapping_range() on the VMM's mm: the user PTEs in
  // [start, end) go inside one notifier start/end, with flush_tlb_mm_range. Frees nothing: the
  // caller frees what the PTEs referenced (munmap: anonymous pages; gmem folios go by truncation).
  *zapUserRange(t: SimThread, start: Va, end: Va): ThreadBody<Array<[Va, Pfn]>> {
    yield* this.mmuNotifierInvalidateRangeStart(t, start, end);
    yield { kind: 'preempt', label: 'mmu-notifier-started' };
    const m = this.machine;
    const zapped: Array<[Va, Pfn]> = [];
    for (let va = start; va < end; va += PAGE_SIZE) {
      const pte = m.unmapUser(this.mm, va);
      if (pte) zapped.push([va, pte.pfn]);
    }
    if (zapped.length > 0) m.flushTlbMm(t.cpu, this.mm, start, end);
    this.mmuNotifierInvalidateRangeEnd(start, end);
    return zapped;
  }

  // Models munmap() of VMM memory: the mmu notifier runs around the zap; anonymous pages are
  // freed, guest_memfd folios stay in the file (the page cache holds them), as in the kernel.
  *munmap(t: SimThread, hva: Va, pages: number): ThreadBody<ErrnoResult | 0> {
    if (hva % PAGE_SIZE !== 0 || !Number.isInteger(pages) || pages < 1) {
      return { errno: 'EINVAL', reason: 'munmap needs a page-aligned hva and pages >= 1' };
    }
    const end = hva + pages * PAGE_SIZE;
    const hit = this.mm.vmas.filter((v) => v.start < end && hva < v.end);
    const anon = hit.filter((v) => !this.gmemVmas.has(v));
    const files = new Set<GuestMemfd>();
    for (const v of hit) {
      const g = this.gmemVmas.get(v);
      if (g) files.add(g.file);
      this.mm.removeVma(v);
      // Keep what lies outside the range (the kernel splits the VMA).
      if (v.start < hva) this.mm.addVma(this.splitVma(v, v.start, hva));
      if (v.end > end) this.mm.addVma(this.splitVma(v, end, v.end));
    }
    for (const f of files) this.syncUserMappings(f);
    const zapped = yield* this.zapUserRange(t, hva, end);
    const m = this.machine;
    for (const [va, pfn] of zapped) {
      if (!anon.some((v) => va >= v.start && va < v.end)) continue;
      m.mem.putPage(pfn);
      m.ledger.charge('pageFree');
      this.event(`free pfn ${pfn}`);
    }
    return 0;
  }

  private splitVma(v: Vma, start: Va, end: Va): Vma {
    const piece: Vma = {
      ...v,
      start,
      end,
      name: `${v.name}+${(start - v.start).toString(16)}`,
      fault: (va: Va) => v.fault(va),
    };
    const g = this.gmemVmas.get(v);
    if (g) this.gmemVmas.set(piece, { file: g.file, pgoff: g.pgoff + (start - v.start) / PAGE_SIZE });
    return piece;
  }

  /** The file's record of where the VMM maps it, rebuilt from the mm's VMAs (its i_mmap). */
  private syncUserMappings(file: GuestMemfd): void {
    file.userMappings.length = 0;
    for (const v of this.mm.vmas) {
      const g = this.gmemVmas.get(v);
      if (g?.file === file) {
        file.userMappings.push({ hva: v.start, pgoff: g.pgoff, pages: (v.end - v.start) / PAGE_SIZE });
      }
    }
  }

  // Models migrating one anonymous page (migrate_pages via the notifier): a new frame takes the
  // contents, the old one is freed after the PTE switch.
  *migratePage(t: SimThread, hva: Va): ThreadBody<ErrnoResult | 0> {
    const va = hva - (hva % PAGE_SIZE);
    const vma = this.mm.findVma(va);
    if (!vma) return { errno: 'EFAULT', reason: `no VMA at ${va.toString(16)}` };
    if (this.gmemVmas.has(vma)) return { errno: 'EBUSY', reason: 'guest_memfd folios are not migratable' };
    const m = this.machine;
    const old = this.mm.userPt.get(vpnOf(va));
    if (!old) return { errno: 'EFAULT', reason: 'page not present' };
    yield* this.mmuNotifierInvalidateRangeStart(t, va, va + PAGE_SIZE);
    yield { kind: 'preempt', label: 'mmu-notifier-started' };
    const oldFrame = m.mem.get(old.pfn)!;
    const fresh = m.mem.alloc(oldFrame.owner, oldFrame.ownerMm, oldFrame.tag, oldFrame.ident);
    // The new frame gets exactly the old contents (a reused frame's own bytes must not survive).
    fresh.bytes = oldFrame.bytes ? oldFrame.bytes.slice() : null;
    m.unmapUser(this.mm, va);
    m.flushTlbMm(t.cpu, this.mm, va, va + PAGE_SIZE);
    m.mapUser(this.mm, va, fresh.pfn);
    this.mmuNotifierInvalidateRangeEnd(va, va + PAGE_SIZE);
    m.mem.putPage(old.pfn);
    this.event(`migrate ${va.toString(16)}: pfn ${old.pfn} -> ${fresh.pfn}`);
    return 0;
  }

  // ---- translation ------------------------------------------------------------------------

  // Models hva_to_pfn() (GUP, always for write): faults the page in from process context and
  // takes a page reference. No-direct-map gmem mappings are refused, as the series makes GUP do.
  hvaToPfn(ctx: ExecContext, uhva: Va): Pfn | ErrnoResult {
    const va = uhva - (uhva % PAGE_SIZE);
    const vma = this.mm.findVma(va);
    if (!vma) return { errno: 'EFAULT', reason: `no VMA at ${uhva.toString(16)}` };
    if (!vma.gupAllowed) return { errno: 'EFAULT', reason: 'GUP refused: no-direct-map guest_memfd mapping' };
    const m = this.machine;
    let pte = this.mm.userPt.get(vpnOf(va));
    if (!pte) {
      if (ctx.mode !== 'process') return { errno: 'EFAULT', reason: 'cannot fault in atomic context' };
      this.currentCtx = ctx;
      const r = vma.fault(va);
      this.currentCtx = null;
      if ('error' in r) return { errno: r.error, reason: r.reason };
      m.mapUser(this.mm, va, r.pfn);
      pte = this.mm.userPt.get(vpnOf(va))!;
    }
    m.mem.getPage(pte.pfn);
    m.ledger.charge('gupFast');
    return pte.pfn;
  }

  // Models kvm_gmem_get_pfn(): the slot's file folio for gfn, allocated and (with NO_DIRECT_MAP)
  // zapped from the direct map on first use; returns with a page reference held.
  gmemGetPfn(ctx: ExecContext, slot: Memslot, gfn: number): Pfn | ErrnoResult {
    if (!slot.gmem) return { errno: 'EFAULT', reason: `slot ${slot.id} has no guest_memfd` };
    const pfn = slot.gmem.getFolio(ctx, gfn - slot.baseGfn + slot.gmemPgoff);
    if (typeof pfn !== 'number') return pfn;
    this.machine.mem.getPage(pfn);
    this.machine.ledger.charge('gmemGetPfn');
    return pfn;
  }

  /** Drop a reference taken by hvaToPfn/gmemGetPfn (kvm_release_page_*). */
  releasePage(pfn: Pfn): void {
    this.machine.mem.putPage(pfn);
  }

  /** Private gfns (KVM_SET_MEMORY_ATTRIBUTES with PRIVATE). */
  readonly privateGfns = new Set<number>();

  /** A gpc for gfn must take its pfn from guest_memfd (gmem-only slot or private gfn). */
  usesGmem(slot: Memslot | null, gfn: number): boolean {
    return slot !== null && slot.gmem !== null && (isGmemOnly(slot) || this.privateGfns.has(gfn));
  }

  // Models kvm_vm_set_mem_attributes() as RFC v2/v3 hook it: caches covering the range are
  // invalidated by hva under the active count, then the secondary MMU is invalidated.
  *setMemoryAttributes(t: SimThread, gfn: number, pages: number, toPrivate: boolean): ThreadBody<0> {
    const ranges: Array<[Va, Va]> = [];
    for (let g = gfn; g < gfn + pages; g++) {
      const s = this.memslots.gfnToMemslot(g);
      const hva = this.memslots.gfnToHva(s, g);
      if (hva >= 0) ranges.push([hva, hva + PAGE_SIZE]);
    }
    if (this.kernel.gmemInvalidation) this.activeInvalidateCount++;
    yield* this.walkCaches(t, 'attributes', ranges, this.kernel.gmemInvalidation);
    if (ranges.length > 0) this.mmuInvalidateInProgress++;
    for (let g = gfn; g < gfn + pages; g++) {
      if (toPrivate) this.privateGfns.add(g);
      else this.privateGfns.delete(g);
    }
    if (ranges.length > 0) {
      this.mmuInvalidateSeq++;
      this.mmuInvalidateInProgress--;
    }
    if (this.kernel.gmemInvalidation) this.activeInvalidateCount--;
    for (const [s, e] of ranges) this.dropInflight('attributes', s, e);
    return 0;
  }
}
