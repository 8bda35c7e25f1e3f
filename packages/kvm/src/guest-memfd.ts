import {
  type ExecContext,
  type FaultResult,
  MIGRATE_UNMOVABLE,
  PAGE_SIZE,
  type Pfn,
  type Sensitivity,
  type SimThread,
  type ThreadBody,
} from '@khva/memory-core';
import type { ErrnoResult } from './errno.ts';
import type { Vm } from './vm.ts';

export interface GmemFlags {
  /** GUEST_MEMFD_FLAG_MMAP: the file can be mapped by the VMM (and the slot is gmem-only). */
  readonly mmap: boolean;
  /** GUEST_MEMFD_FLAG_NO_DIRECT_MAP: folios leave the direct map when first handed out. */
  readonly noDirectMap: boolean;
}

/** A user mapping of the file in the VMM's mm. */
export interface GmemUserMapping {
  readonly hva: number;
  readonly pgoff: number;
  readonly pages: number;
}

/**
 * A guest_memfd file: order-0 folios allocated on first use; with NO_DIRECT_MAP each folio is
 * removed from the direct map lazily the first time it is handed out, and restored (without a
 * flush) when it is freed.
 */
export class GuestMemfd {
  readonly folios = new Map<number, Pfn>();
  /** Indices whose folio is out of the direct map (folio->private bit 0 in the series). */
  readonly zapped = new Set<number>();
  readonly userMappings: GmemUserMapping[] = [];
  released = false;

  constructor(
    readonly vm: Vm,
    readonly id: number,
    readonly sizePages: number,
    readonly flags: GmemFlags,
    readonly tag: Sensitivity = 'secret',
  ) {}

  get machine() {
    return this.vm.machine;
  }

  // Models kvm_gmem_get_folio(): filemap_grab_folio, a never-used folio reads as zeroes. Unlike the
  // kernel there are no large folios and no per-folio lock: the model serialises the whole call.
  private grabFolio(index: number): Pfn {
    let pfn = this.folios.get(index);
    if (pfn !== undefined) return pfn;
    const m = this.machine;
    // The file's gfp mask is GFP_HIGHUSER: guest_memfd folios come from unmovable pageblocks.
    const frame = m.mem.alloc(
      this.vm.id,
      this.vm.mm.id,
      this.tag,
      `vm${this.vm.id}:gmem${this.id}:${index}`,
      MIGRATE_UNMOVABLE,
    );
    frame.noDirectMap = this.flags.noDirectMap;
    // A reused frame keeps its previous owner's bytes in memory-core: clear them (sparse zeroes).
    frame.bytes = null;
    pfn = frame.pfn;
    this.folios.set(index, pfn);
    this.vm.stateVersion++;
    m.ledger.charge('gmemFolioAlloc');
    this.vm.event(() => `gmem${this.id}: alloc index ${index} -> pfn ${pfn}`);
    return pfn;
  }

  private checkIndex(index: number): ErrnoResult | null {
    if (this.released) return { errno: 'EFAULT', reason: `guest_memfd ${this.id} is released` };
    if (!Number.isInteger(index) || index < 0 || index >= this.sizePages) {
      return {
        errno: 'EFAULT',
        reason: `index ${index} beyond guest_memfd ${this.id} of ${this.sizePages} pages`,
      };
    }
    return null;
  }

  // Models kvm_gmem_get_folio() followed by the series' lazy kvm_gmem_folio_zap_direct_map(), as
  // kvm_gmem_get_pfn() and kvm_gmem_fault_user_mapping() do when they hand a folio out:
  // set_direct_map_valid_noflush(false) then, upstream, flush_tlb_kernel_range (skipped when
  // kernel.flushOnZap is off, as a deployed variant does). No arch prepare hook is modelled.
  getFolio(ctx: ExecContext, index: number): Pfn | ErrnoResult {
    const err = this.checkIndex(index);
    if (err) return err;
    const fresh = !this.folios.has(index);
    const pfn = this.grabFolio(index);
    const m = this.machine;
    if (fresh) {
      // A never-initialised folio is zeroed through its direct-map alias before it is handed out
      // (clear_highpage): the zeroing CPU now caches that translation, which is what the TLB flush
      // after the zap exists to remove.
      m.ledger.charge('pageZero');
      m.access({ cpu: ctx.cpu, mode: 'process', who: `gmem${this.id}` }, m.pageAddress(pfn), 8, 'write');
    }
    if (this.flags.noDirectMap && !this.zapped.has(index)) {
      this.zapped.add(index);
      m.removeFromDirectMap(pfn);
      if (this.vm.kernel.flushOnZap) {
        const va = m.pageAddress(pfn);
        m.flushTlbKernelRange(ctx.cpu, va, va + PAGE_SIZE);
      }
      this.vm.event(
        () =>
          `gmem${this.id}: pfn ${pfn} removed from the direct map${this.vm.kernel.flushOnZap ? ' (flushed)' : ' (no flush)'}`,
      );
    }
    return pfn;
  }

  /** -EINVAL for a page range that is not inside the file. */
  private checkRange(what: string, index: number, pages: number): ErrnoResult | null {
    const ok = Number.isInteger(index) && Number.isInteger(pages) && pages >= 1 && index >= 0;
    if (ok && index + pages <= this.sizePages) return null;
    return {
      errno: 'EINVAL',
      reason: `${what} [${index}, ${index + pages}) outside the file of ${this.sizePages} pages`,
    };
  }

  // Models kvm_gmem_allocate() (fallocate without PUNCH_HOLE): folios are allocated but not handed
  // out, so even with NO_DIRECT_MAP they stay in the direct map until first use.
  allocate(index: number, pages: number): ErrnoResult | 0 {
    const bad = this.checkRange('fallocate', index, pages);
    if (bad) return bad;
    if (this.released) return { errno: 'EFAULT', reason: `guest_memfd ${this.id} is released` };
    for (let i = index; i < index + pages; i++) this.grabFolio(i);
    return 0;
  }

  // Models kvm_gmem_fault_user_mapping(): a VMM fault on the file's user mapping.
  faultUser(ctx: ExecContext, index: number): FaultResult {
    const pfn = this.getFolio(ctx, index);
    if (typeof pfn !== 'number') return { error: 'EFAULT', reason: pfn.reason };
    this.machine.ledger.charge('faultShmem');
    return { pfn, gen: this.machine.mem.get(pfn)?.gen ?? 0 };
  }

  // Models truncation's filemap_remove_folio() -> kvm_gmem_free_folio(): direct-map PTE restored
  // (no flush), folio out of the mapping, the page cache's reference dropped.
  private freeFolio(index: number): void {
    const pfn = this.folios.get(index);
    if (pfn === undefined) return;
    const m = this.machine;
    if (this.zapped.delete(index)) m.restoreToDirectMap(pfn);
    this.folios.delete(index);
    this.vm.stateVersion++;
    // Out of the page cache the folio has no mapping any more (folio->mapping = NULL), so it is no
    // longer flagged no-direct-map, even while someone still holds a reference to it.
    const frame = m.mem.get(pfn);
    if (frame) frame.noDirectMap = false;
    m.mem.putPage(pfn);
    m.ledger.charge('pageFree');
    this.vm.event(() => `gmem${this.id}: free index ${index} pfn ${pfn}`);
  }

  // Models kvm_gmem_punch_hole(): invalidate begin, truncate (which unmaps the VMM's mappings of
  // the range through the mmu notifier, then frees the folios), invalidate end. Like the kernel
  // it has no size check (only allocation checks i_size): a hole at or past the end succeeds, and
  // the part beyond the file simply has nothing to free. fallocate's own checks remain (len > 0).
  *punchHole(t: SimThread, index: number, pages: number): ThreadBody<ErrnoResult | 0> {
    if (!Number.isInteger(index) || !Number.isInteger(pages) || index < 0 || pages < 1) {
      return {
        errno: 'EINVAL',
        reason: `punch-hole [${index}, ${index + pages}): needs index >= 0 and pages >= 1`,
      };
    }
    const end = index + pages;
    const inv = yield* this.vm.gmemInvalidateBegin(t, this, index, end);
    yield { kind: 'preempt', label: 'gmem-invalidate-begun' };
    yield* this.unmapUserRange(t, index, end);
    for (let i = index; i < Math.min(end, this.sizePages); i++) this.freeFolio(i);
    this.vm.gmemInvalidateEnd(inv);
    return 0;
  }

  // Models kvm_gmem_release(): the whole file goes (VM teardown or last fd closed).
  *release(t: SimThread): ThreadBody<void> {
    if (this.released) return;
    const inv = yield* this.vm.gmemInvalidateBegin(t, this, 0, this.sizePages);
    for (const i of [...this.folios.keys()]) this.freeFolio(i);
    this.vm.gmemInvalidateEnd(inv);
    this.released = true;
  }

  /** unmap_mapping_range() over the file range: each VMM mapping goes through the mmu notifier. */
  private *unmapUserRange(t: SimThread, first: number, end: number): ThreadBody<void> {
    for (const um of this.userMappings) {
      const lo = Math.max(first, um.pgoff);
      const hi = Math.min(end, um.pgoff + um.pages);
      if (lo >= hi) continue;
      const start = um.hva + (lo - um.pgoff) * PAGE_SIZE;
      yield* this.vm.zapUserRange(t, start, start + (hi - lo) * PAGE_SIZE);
    }
  }
}
