import type {
  ExecContext,
  Machine,
  Mm,
  Pfn,
  Sensitivity,
  SimThread,
  ThreadBody,
  Va,
  Vma,
} from '@khva/memory-core';
import type { ErrnoResult } from './errno.ts';
import { GpcList } from './gpc-list.ts';
import type { GmemFlags, GuestMemfd } from './guest-memfd.ts';
import { gmemGetPfn, hvaToPfn, usesGmem } from './gup.ts';
import {
  type GmemInvalidation,
  gmemInvalidateBegin,
  gmemInvalidateEnd,
  type InflightInvalidation,
  mmuNotifierInvalidateRangeEnd,
  mmuNotifierInvalidateRangeStart,
  setMemoryAttributes,
} from './invalidation.ts';
import type { KernelOptions } from './kernel-options.ts';
import { deleteMemslot, type MemslotSpec, setMemslot } from './memslot-update.ts';
import { type Memslot, Memslots } from './memslots.ts';
import { VmmMemory } from './vmm-memory.ts';

export interface Vcpu {
  readonly id: number;
  readonly thread: string;
}

/**
 * A VM (struct kvm): one mm (the VMM process), memslots with a generation, guest_memfd files, the
 * invalidation state the gpc reads (mmu_invalidate_seq, mmu_invalidate_in_progress and the
 * active-invalidation count) and the list of caches invalidation walks. The state lives here;
 * each subsystem's code lives in its own file (memslot-update, vmm-memory, gup, invalidation).
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
  readonly gpcList = new GpcList();
  /** hva ranges of invalidations in flight, and whether each reaches the caches. */
  readonly inflight: InflightInvalidation[] = [];
  /**
   * Bumped whenever VM-wide state the gpc invariants read changes other than through a page table: an
   * invalidation starts, has walked the caches or ends; a guest_memfd folio is allocated or freed. A
   * checker compares it to re-examine this VM's caches only when it moved.
   */
  stateVersion = 0;
  readonly gmemFiles: GuestMemfd[] = [];
  readonly vcpus: Vcpu[] = [];
  /** Private gfns (KVM_SET_MEMORY_ATTRIBUTES with PRIVATE). */
  readonly privateGfns = new Set<number>();
  /** Ordered record of invalidation and page life events, when enabled. */
  events: string[] | null = null;
  alive = true;
  /** The VMM's memory: anonymous and guest_memfd mappings. */
  readonly vmm: VmmMemory;

  constructor(
    readonly machine: Machine,
    readonly id: number,
    readonly name: string,
    readonly mm: Mm,
    readonly kernel: KernelOptions,
  ) {
    this.vmm = new VmmMemory(this);
  }

  /** Log an event when `events` is on; the text is built only then (never per event of a long run). */
  event(describe: () => string): void {
    if (this.events !== null) this.events.push(describe());
  }

  // ---- memory the VMM owns (vmm-memory.ts) ------------------------------------------------

  /** mmap(MAP_ANONYMOUS) in the VMM: pages are allocated on first fault. */
  mapAnon(hva: Va, pages: number, tag: Sensitivity = 'none'): Vma {
    return this.vmm.mapAnon(hva, pages, tag);
  }

  createGmem(pages: number, flags: GmemFlags, tag: Sensitivity = 'secret'): GuestMemfd {
    return this.vmm.createGmem(pages, flags, tag);
  }

  /** mmap() of a guest_memfd file into the VMM (only with GUEST_MEMFD_FLAG_MMAP). */
  mapGmem(file: GuestMemfd, hva: Va, pgoff: number, pages: number): Vma {
    return this.vmm.mapGmem(file, hva, pgoff, pages);
  }

  zapUserRange(t: SimThread, start: Va, end: Va): ThreadBody<Array<[Va, Pfn]>> {
    return this.vmm.zapUserRange(t, start, end);
  }

  munmap(t: SimThread, hva: Va, pages: number): ThreadBody<ErrnoResult | 0> {
    return this.vmm.munmap(t, hva, pages);
  }

  migratePage(t: SimThread, hva: Va): ThreadBody<ErrnoResult | 0> {
    return this.vmm.migratePage(t, hva);
  }

  // ---- memslots (memslot-update.ts) -------------------------------------------------------

  setMemslot(t: SimThread, spec: MemslotSpec): ThreadBody<ErrnoResult | 0> {
    return setMemslot(this, t, spec);
  }

  deleteMemslot(t: SimThread, id: number): ThreadBody<ErrnoResult | 0> {
    return deleteMemslot(this, t, id);
  }

  // ---- invalidation (invalidation.ts) -----------------------------------------------------

  mmuNotifierInvalidateRangeStart(t: SimThread, start: Va, end: Va): ThreadBody<void> {
    return mmuNotifierInvalidateRangeStart(this, t, start, end);
  }

  mmuNotifierInvalidateRangeEnd(start: Va, end: Va): void {
    mmuNotifierInvalidateRangeEnd(this, start, end);
  }

  gmemInvalidateBegin(
    t: SimThread,
    file: GuestMemfd,
    first: number,
    end: number,
  ): ThreadBody<GmemInvalidation> {
    return gmemInvalidateBegin(this, t, file, first, end);
  }

  gmemInvalidateEnd(inv: GmemInvalidation): void {
    gmemInvalidateEnd(this, inv);
  }

  setMemoryAttributes(t: SimThread, gfn: number, pages: number, toPrivate: boolean): ThreadBody<0> {
    return setMemoryAttributes(this, t, gfn, pages, toPrivate);
  }

  // ---- translation (gup.ts) ---------------------------------------------------------------

  hvaToPfn(ctx: ExecContext, uhva: Va): Pfn | ErrnoResult {
    return hvaToPfn(this, ctx, uhva);
  }

  gmemGetPfn(ctx: ExecContext, slot: Memslot, gfn: number): Pfn | ErrnoResult {
    return gmemGetPfn(this, ctx, slot, gfn);
  }

  /** Drop a reference taken by hvaToPfn/gmemGetPfn (kvm_release_page_*). */
  releasePage(pfn: Pfn): void {
    this.machine.mem.putPage(pfn);
  }

  /** A gpc for gfn must take its pfn from guest_memfd (gmem-only slot or private gfn). */
  usesGmem(slot: Memslot | null, gfn: number): boolean {
    return usesGmem(this, slot, gfn);
  }
}
