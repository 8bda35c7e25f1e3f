import type {
  AccessRequest,
  AccessResult,
  BackendTraits,
  BackendVm,
  MapContext,
  MappingBackend,
  MapResult,
} from '@khva/backend-api';
import {
  type Cpu,
  costRow,
  type ExecContext,
  type Machine,
  MM_LOCAL_SIZE,
  MM_LOCAL_START,
  type Mm,
  PAGE_SIZE,
  type Pfn,
  type Va,
  vpnOf,
} from '@khva/memory-core';

/** MAX_PAGECACHE_ORDER on x86-64 (HPAGE_PMD_ORDER): a slice holds the largest folio. */
export const MAX_PAGECACHE_ORDER = 9;
/** Pages in one CPU's slice: PAGE_SIZE << MAX_PAGECACHE_ORDER = 2 MiB. */
export const MERMAP_SLICE_PAGES = 1 << MAX_PAGECACHE_ORDER;
/** The slice's last page is kept for mermap_get_reserved(); mermap_get() bump-allocates the rest. */
export const MERMAP_USABLE_PAGES = MERMAP_SLICE_PAGES - 1;
/** MERMAP_BASE_ADDR: the upper half of the mm-local region (the lower half is the mm-local map area). */
export const MERMAP_BASE: Va = MM_LOCAL_START + MM_LOCAL_SIZE / 2;

const MERMAP_GET = costRow('mermapGet');
const MERMAP_PUT = costRow('mermapPut');

/** Start of a CPU's slice (mermap_cpu_base). */
export const mermapSliceBase = (cpu: number): Va => MERMAP_BASE + cpu * MERMAP_SLICE_PAGES * PAGE_SIZE;

export const ephmapTraits: BackendTraits = {
  kind: 'per-access',
  usableFromIrq: false,
  usableFromForeignMm: false,
  mayRefuseRam: false,
  needsReachGuard: true,
  lazyFlush: false,
};

/** Why an access was refused (the caller takes its slow path). */
export type EphmapRefusal = 'irq' | 'no-current-mm' | 'foreign-mm' | 'unprepared';

/** Counters of one ephmap backend instance (what `stats()` returns). */
export interface EphmapStats {
  /** access() calls. */
  accesses: number;
  /** Accesses done through a mermap_get/put pair. */
  mapped: number;
  refusedIrq: number;
  refusedForeignMm: number;
  refusedUnprepared: number;
  /** mms prepared (mermap_mm_prepare that did the work; repeats are free). */
  preparedMms: number;
  prepareCalls: number;
  /** Local flushes of a CPU's slice before its reuse (flush_tlb_local, never an IPI). */
  sliceFlushes: number;
  /** purge(): mm-wide flushes of the mermap region (before mapped pages may be freed), and their IPIs. */
  mmFlushes: number;
  mmFlushIpis: number;
  /** release() calls from the gpc (kernel.releaseHook), and the mm flushes they did. */
  releases: number;
  releaseFlushes: number;
  /** map()/unmap() calls, which a gpc never makes for a per-access backend. */
  unexpectedMapCalls: number;
}

/**
 * Per-mm mermap state: each CPU's bump pointer (struct mermap_cpu's next_addr, as a page index in
 * its slice), indexed by CPU id so an access touches only its own CPU's word, and "some CPU may
 * hold a stale entry".
 */
interface MermapMm {
  readonly next: Uint16Array;
  dirty: boolean;
}

/**
 * ephmap, now mermap (Brendan Jackman): no cached khva. Each access maps the page at the next
 * free page of the current CPU's slice of the current mm's local region, touches it, and clears
 * the PTE without any flush; the slice's TLB entries are flushed locally when it wraps around.
 */
export class EphmapBackend implements MappingBackend {
  readonly name = 'ephmap';
  readonly traits = ephmapTraits;
  private readonly mms = new Map<Mm, MermapMm>();
  private readonly counters: EphmapStats = {
    accesses: 0,
    mapped: 0,
    refusedIrq: 0,
    refusedForeignMm: 0,
    refusedUnprepared: 0,
    preparedMms: 0,
    prepareCalls: 0,
    sliceFlushes: 0,
    mmFlushes: 0,
    mmFlushIpis: 0,
    releases: 0,
    releaseFlushes: 0,
    unexpectedMapCalls: 0,
  };

  constructor(readonly machine: Machine) {
    // Models mermap_mm_teardown(): the per-mm state goes with the mm.
    machine.onMmTeardown((mm) => this.mms.delete(mm));
  }

  /** mermap is set up for this mm (mermap_mm_prepare ran). */
  isPrepared(mm: Mm): boolean {
    return this.mms.has(mm);
  }

  // Models mermap_mm_prepare() (mermap_mm_init, bjackman/linux mm/mermap.c): differs: no sentinel leaf stays; cannot fail.
  prepare(mc: MapContext): void {
    // Idempotent, per mm: every possible CPU's slice gets its page tables (sentinel set, cleared).
    this.counters.prepareCalls++;
    const mm = mc.vm.mm;
    if (this.mms.has(mm)) return;
    const next = new Uint16Array(this.machine.cpus.length);
    for (const cpu of this.machine.cpus) {
      const vpn = vpnOf(mermapSliceBase(cpu.id));
      // One PTE page per 2 MiB slice (and the PMD/PUD pages above it), charged by the page table.
      mm.localPt.set(vpn, { pfn: 0, gen: 0 });
      mm.localPt.clear(vpn);
    }
    this.mms.set(mm, { next, dirty: false });
    this.counters.preparedMms++;
  }

  // Models mermap_ready() (in_task, current->mm, prepared): a kernel thread has no current->mm
  // (it only borrows the loaded one), so it is refused like a foreign mm.
  private refusal(ctx: ExecContext, vm: BackendVm): EphmapRefusal | null {
    if (ctx.mode === 'irq') return 'irq';
    if (ctx.mm === null) return 'no-current-mm';
    if (ctx.cpu.loadedMm !== vm.mm || (ctx.mm !== undefined && ctx.mm !== vm.mm)) return 'foreign-mm';
    if (!this.mms.has(vm.mm)) return 'unprepared';
    return null;
  }

  // Models a mermap_get() / access / mermap_put() round trip by a gpc caller: differs: migrate_disable is implicit.
  access(ctx: ExecContext, vm: BackendVm, req: AccessRequest): AccessResult {
    // Refused (the caller's slow path) outside task context, in a foreign mm or before prepare.
    this.counters.accesses++;
    const why = this.refusal(ctx, vm);
    if (why !== null) {
      if (why === 'irq') this.counters.refusedIrq++;
      else if (why === 'foreign-mm') this.counters.refusedForeignMm++;
      else this.counters.refusedUnprepared++;
      return { ok: false, reason: refusalText(why, ctx, vm) };
    }
    const mm = vm.mm;
    const va = this.mermapGet(ctx.cpu, mm, req.pfn);
    const outcome = this.machine.access(ctx, va + req.offset, req.bytes, req.op, req.data);
    this.mermapPut(mm, va);
    this.counters.mapped++;
    return { ok: true, outcome };
  }

  // Models mermap_get() of one page (mermap_alloc's bump allocator): differs: one allocation at a time, so wraps restart at 0.
  private mermapGet(cpu: Cpu, mm: Mm, pfn: Pfn): Va {
    // Last page of the slice reserved; when the rest is used up, arch_mermap_flush_tlb() (x86:
    // flush_tlb_local(), this CPU only, no IPI) and back to the base; then set the PTE.
    const m = this.machine;
    const state = this.mms.get(mm);
    const id = cpu.id;
    if (!state || id >= state.next.length)
      throw new Error(`ephmap: no mermap state for cpu ${id} in ${mm.name}`);
    state.dirty = true;
    let page = state.next[id]!;
    if (page >= MERMAP_USABLE_PAGES) {
      m.flushLocalAll(cpu, false);
      this.counters.sliceFlushes++;
      page = 0;
    }
    state.next[id] = page + 1;
    const va = mermapSliceBase(id) + page * PAGE_SIZE;
    m.ledger.chargeRow(MERMAP_GET);
    m.mapLocal(mm, va, pfn);
    return va;
  }

  // Models mermap_put(): differs: the unmapped sentinel is a cleared PTE.
  private mermapPut(mm: Mm, va: Va): void {
    // No TLB flush at all: this CPU keeps a stale entry until its slice wraps.
    this.machine.ledger.chargeRow(MERMAP_PUT);
    this.machine.unmapLocal(mm, va);
  }

  /** A per-access backend has no khva for the gpc to cache: map() is never called by the gpc. */
  map(_mc: MapContext, _pfn: Pfn): MapResult {
    this.counters.unexpectedMapCalls++;
    return { ok: false, errno: 'EINVAL', reason: 'ephmap is per-access: there is no khva to cache' };
  }

  unmap(_mc: MapContext, _khva: Va, _pfn: Pfn): void {
    this.counters.unexpectedMapCalls++;
  }

  /** An access can be made here: task context (process or atomic), the VM's mm current, prepared. */
  reachable(ctx: ExecContext, vm: BackendVm, _khva: Va): boolean {
    return this.refusal(ctx, vm) === null;
  }

  // Models the full flush mermap requires before mapped pages are freed, as the gpc's release hook
  // (kernel.releaseHook) asks for it when the cache drops a pfn: differs: flushes the VM's whole
  // region (mermap tracks no per-page state), and only if an access dirtied it since the last one.
  release(mc: MapContext, _pfn: Pfn): void {
    this.counters.releases++;
    const state = this.mms.get(mc.vm.mm);
    if (!state?.dirty) return;
    this.flushMm(mc.ctx.cpu, mc.vm.mm, state);
    this.counters.releaseFlushes++;
  }

  // Models the full flush mermap requires before mapped pages are freed: differs: forced by purge() for every dirty mm.
  purge(initiator: Cpu): void {
    for (const [mm, state] of this.mms) {
      if (!mm.alive) {
        this.mms.delete(mm);
        continue;
      }
      if (state.dirty) this.flushMm(initiator, mm, state);
    }
  }

  // Jackman's mm-global flush, tracked by a per-mm dirty flag: flush_tlb_mm_range() over every
  // slice of the mm (IPIs to that mm's CPUs only); the bump pointers start again.
  private flushMm(initiator: Cpu, mm: Mm, state: MermapMm): void {
    const end = mermapSliceBase(this.machine.cpus.length);
    const { ipis } = this.machine.flushTlbMm(initiator, mm, MERMAP_BASE, end);
    state.next.fill(0);
    state.dirty = false;
    this.counters.mmFlushes++;
    this.counters.mmFlushIpis += ipis;
  }

  /** Pages of this CPU's slice used since its last flush in mm (for inspection). */
  sliceUsed(mm: Mm, cpu: number): number {
    return this.mms.get(mm)?.next[cpu] ?? 0;
  }

  stats(): Readonly<Record<string, number>> {
    return { ...this.counters };
  }
}

function refusalText(why: EphmapRefusal, ctx: ExecContext, vm: BackendVm): string {
  switch (why) {
    case 'irq':
      return `mermap: not in task context (hard IRQ on cpu ${ctx.cpu.id})`;
    case 'no-current-mm':
      return `mermap: ${ctx.who ?? 'a kernel thread'} on cpu ${ctx.cpu.id} has no mm of its own (current->mm is NULL)`;
    case 'foreign-mm':
      return `mermap: cpu ${ctx.cpu.id} runs ${ctx.cpu.loadedMm?.name ?? 'no mm'}, not ${vm.mm.name}: only the current process's memory can be mapped`;
    case 'unprepared':
      return `mermap: ${vm.mm.name} has not been prepared (mermap_mm_prepare)`;
  }
}
