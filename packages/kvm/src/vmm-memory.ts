import {
  type ExecContext,
  type FaultResult,
  MIGRATE_MOVABLE,
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
import { mmuNotifierInvalidateRangeEnd, mmuNotifierInvalidateRangeStart } from './invalidation.ts';
import type { Vm } from './vm.ts';

/** Where the VMM maps a guest_memfd file: the file and the page offset of the VMA's start. */
export interface GmemVmaBinding {
  readonly file: GuestMemfd;
  readonly pgoff: number;
}

/**
 * The VMM process's memory: anonymous mappings, guest_memfd files and their user mappings, and
 * what munmap, page migration and the notifier-wrapped zap do to them.
 */
export class VmmMemory {
  /** The id the next guest_memfd file of this VM gets. */
  nextGmem = 0;
  /** The VMM's mappings of guest_memfd files (a VMA not in here is anonymous memory). */
  readonly gmemVmas = new WeakMap<Vma, GmemVmaBinding>();

  constructor(readonly vm: Vm) {}

  /** mmap(MAP_ANONYMOUS) in the VMM: pages are allocated on first fault. */
  mapAnon(hva: Va, pages: number, tag: Sensitivity): Vma {
    const vma = this.anonVma(hva, hva + pages * PAGE_SIZE, tag);
    this.vm.mm.addVma(vma);
    return vma;
  }

  // Models do_anonymous_page(): a zeroed page allocated on first touch.
  private anonVma(start: Va, end: Va, tag: Sensitivity): Vma {
    const vm = this.vm;
    return {
      start,
      end,
      name: `anon@${start.toString(16)}`,
      gupAllowed: true,
      fault(va: Va) {
        // GFP_HIGHUSER_MOVABLE: anonymous memory comes from movable pageblocks.
        const f = vm.machine.mem.alloc(
          vm.id,
          vm.mm.id,
          tag,
          `vm${vm.id}:anon:${va.toString(16)}`,
          MIGRATE_MOVABLE,
        );
        // do_anonymous_page hands out a zeroed page; a reused frame still holds old bytes.
        f.bytes = null;
        f.anon = true;
        vm.machine.ledger.charge('faultAnon');
        return { pfn: f.pfn, gen: f.gen };
      },
    };
  }

  // Models KVM_CREATE_GUEST_MEMFD: a new file of this VM.
  createGmem(pages: number, flags: GmemFlags, tag: Sensitivity): GuestMemfd {
    const f = new GuestMemfd(this.vm, this.nextGmem++, pages, flags, tag);
    this.vm.gmemFiles.push(f);
    return f;
  }

  /** mmap() of a guest_memfd file into the VMM (only with GUEST_MEMFD_FLAG_MMAP). */
  mapGmem(file: GuestMemfd, hva: Va, pgoff: number, pages: number): Vma {
    if (!file.flags.mmap) throw new ModelUsageError(`guest_memfd ${file.id} was created without MMAP`);
    const vma = this.gmemVma(file, hva, hva + pages * PAGE_SIZE, pgoff);
    this.vm.mm.addVma(vma);
    file.userMappings.push({ hva, pgoff, pages });
    return vma;
  }

  private gmemVma(file: GuestMemfd, start: Va, end: Va, pgoff: number): Vma {
    const vm = this.vm;
    const vma: Vma = {
      start,
      end,
      name: `gmem${file.id}@${start.toString(16)}`,
      // The series marks no-direct-map gmem VMAs so that GUP refuses them.
      gupAllowed: !file.flags.noDirectMap,
      // A fault from a user access of the VMM runs on the VM's first CPU.
      fault: (va: Va) =>
        file.faultUser(
          { cpu: vm.machine.cpus[0]!, mode: 'process', who: vm.name },
          pgoff + (va - start) / PAGE_SIZE,
        ),
    };
    this.gmemVmas.set(vma, { file, pgoff });
    return vma;
  }

  // Models handle_mm_fault() as GUP calls it: the faulting context is the caller's, so a
  // guest_memfd fault is handed that context instead of the VMA's default.
  faultIn(ctx: ExecContext, vma: Vma, va: Va): FaultResult {
    const g = this.gmemVmas.get(vma);
    if (g) return g.file.faultUser(ctx, g.pgoff + (va - vma.start) / PAGE_SIZE);
    return vma.fault(va);
  }

  // Models zap_page_range_single()/unmap_mapping_range() on the VMM's mm: the user PTEs in
  // [start, end) go inside one notifier start/end, with flush_tlb_mm_range. Frees nothing: the
  // caller frees what the PTEs referenced (munmap: anonymous pages; gmem folios go by truncation).
  *zapUserRange(t: SimThread, start: Va, end: Va): ThreadBody<Array<[Va, Pfn]>> {
    const vm = this.vm;
    yield* mmuNotifierInvalidateRangeStart(vm, t, start, end);
    yield { kind: 'preempt', label: 'mmu-notifier-started' };
    const m = vm.machine;
    const zapped: Array<[Va, Pfn]> = [];
    for (let va = start; va < end; va += PAGE_SIZE) {
      const pte = m.unmapUser(vm.mm, va);
      if (pte) zapped.push([va, pte.pfn]);
    }
    if (zapped.length > 0) m.flushTlbMm(t.cpu, vm.mm, start, end);
    mmuNotifierInvalidateRangeEnd(vm, start, end);
    return zapped;
  }

  // Models munmap() of VMM memory: the mmu notifier runs around the zap; anonymous pages are
  // freed, guest_memfd folios stay in the file (the page cache holds them), as in the kernel.
  *munmap(t: SimThread, hva: Va, pages: number): ThreadBody<ErrnoResult | 0> {
    if (hva % PAGE_SIZE !== 0 || !Number.isInteger(pages) || pages < 1) {
      return { errno: 'EINVAL', reason: 'munmap needs a page-aligned hva and pages >= 1' };
    }
    const vm = this.vm;
    const end = hva + pages * PAGE_SIZE;
    const hit = vm.mm.vmas.filter((v) => v.start < end && hva < v.end);
    const anon = hit.filter((v) => !this.gmemVmas.has(v));
    const files = new Set<GuestMemfd>();
    for (const v of hit) {
      const g = this.gmemVmas.get(v);
      if (g) files.add(g.file);
      vm.mm.removeVma(v);
      // Keep what lies outside the range (the kernel splits the VMA).
      if (v.start < hva) vm.mm.addVma(this.splitVma(v, v.start, hva));
      if (v.end > end) vm.mm.addVma(this.splitVma(v, end, v.end));
    }
    for (const f of files) this.syncUserMappings(f);
    const zapped = yield* this.zapUserRange(t, hva, end);
    const m = vm.machine;
    for (const [va, pfn] of zapped) {
      if (!anon.some((v) => va >= v.start && va < v.end)) continue;
      m.mem.putPage(pfn);
      m.ledger.charge('pageFree');
      vm.event(() => `free pfn ${pfn}`);
    }
    return 0;
  }

  // Models __split_vma(): the piece keeps the original's fault handler and file offset.
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
    for (const v of this.vm.mm.vmas) {
      const g = this.gmemVmas.get(v);
      if (g?.file === file) {
        file.userMappings.push({ hva: v.start, pgoff: g.pgoff, pages: (v.end - v.start) / PAGE_SIZE });
      }
    }
  }

  // Models migrating one anonymous page (migrate_pages via the notifier): a new frame takes the
  // contents, the old one is freed after the PTE switch.
  *migratePage(t: SimThread, hva: Va): ThreadBody<ErrnoResult | 0> {
    const vm = this.vm;
    const va = hva - (hva % PAGE_SIZE);
    const vma = vm.mm.findVma(va);
    if (!vma) return { errno: 'EFAULT', reason: `no VMA at ${va.toString(16)}` };
    if (this.gmemVmas.has(vma)) return { errno: 'EBUSY', reason: 'guest_memfd folios are not migratable' };
    const m = vm.machine;
    const old = vm.mm.userPt.get(vpnOf(va));
    if (!old) return { errno: 'EFAULT', reason: 'page not present' };
    yield* mmuNotifierInvalidateRangeStart(vm, t, va, va + PAGE_SIZE);
    yield { kind: 'preempt', label: 'mmu-notifier-started' };
    const oldFrame = m.mem.get(old.pfn)!;
    // The migration target is movable too (alloc_migration_target keeps the gfp of the source).
    const fresh = m.mem.alloc(
      oldFrame.owner,
      oldFrame.ownerMm,
      oldFrame.tag,
      oldFrame.ident,
      MIGRATE_MOVABLE,
    );
    // The new frame gets exactly the old contents (a reused frame's own bytes must not survive).
    fresh.bytes = oldFrame.bytes ? oldFrame.bytes.slice() : null;
    fresh.anon = oldFrame.anon;
    m.unmapUser(vm.mm, va);
    m.flushTlbMm(t.cpu, vm.mm, va, va + PAGE_SIZE);
    m.mapUser(vm.mm, va, fresh.pfn);
    mmuNotifierInvalidateRangeEnd(vm, va, va + PAGE_SIZE);
    m.mem.putPage(old.pfn);
    vm.event(() => `migrate ${va.toString(16)}: pfn ${old.pfn} -> ${fresh.pfn}`);
    return 0;
  }
}
