import type { Cpu } from './cpu.ts';
import { PAGE_SIZE, type Pfn, type Va, vpnOf } from './layout.ts';
import type { CostLedger } from './ledger.ts';
import type { Mm } from './mm.ts';
import type { SafetyOracle } from './oracle.ts';
import type { Tlb, TlbGone } from './tlb.ts';
import type { TlbDirectory } from './tlb-directory.ts';

/**
 * TLB maintenance: stale marking after PTE changes, local flushes, shootdowns with IPIs. Charges
 * are what every CPU would pay; the work the model does follows the TLB directory, so it is
 * proportional to the entries dropped, not to the number of CPUs. Where CPUs flush one after
 * another, each CPU's entries go at the simulated time the CPUs before it have been charged, as
 * a walk over every CPU would have them.
 */
export class TlbShootdown {
  constructor(
    private readonly cpus: readonly Cpu[],
    private readonly offline: ReadonlySet<number>,
    private readonly directory: TlbDirectory,
    private readonly ledger: CostLedger,
    private readonly oracle: SafetyOracle,
    private readonly singlePageFlushCeiling: number,
  ) {}

  /** Online CPUs with a lower id than `id` (its position in a walk over the online CPUs). */
  private onlineBefore(id: number): number {
    let n = id;
    for (const o of this.offline) if (o < id) n--;
    return n;
  }

  /** After a PTE change, every TLB entry that no longer matches it becomes stale. */
  markStale(asid: number, vpn: number, newPfn: Pfn | null): void {
    for (const id of this.directory.holders(asid, vpn)) {
      const tlb = this.cpus[id]?.tlb;
      const s = tlb ? tlb.find(asid, vpn) : -1;
      if (tlb && s >= 0 && !tlb.isStale(s) && tlb.pfnAt(s) !== newPfn) {
        tlb.markStaleAt(s);
        tlb.changes?.page(vpn);
        if (tlb.scopeAt(s) >= 0) this.oracle.staleChanged(1);
      }
    }
  }

  /** A TLB entry leaves its TLB (read through its slot, no entry object made): the oracle stops counting it. */
  readonly slotGone: TlbGone = (tlb: Tlb, slot: number) => {
    const scope = tlb.scopeAt(slot);
    if (scope < 0) return;
    if (tlb.isStale(slot)) this.oracle.staleChanged(-1);
    this.oracle.dropRef(tlb.pfnAt(slot), scope, tlb.identAt(slot) ?? '', tlb.viaDirectMapAt(slot));
  };

  /** Drop every entry of an mm from every TLB (mm teardown: no charge, the mm is gone). */
  dropMm(mm: Mm): void {
    for (const { vpn, cpu } of this.directory.cached(mm.id))
      this.cpus[cpu]?.tlb.drop(mm.id, vpn, this.slotGone);
    this.directory.forgetAsid(mm.id);
  }

  // Models a local invlpg (flush_tlb_one_kernel / flush_tlb_one_user on this CPU only).
  flushLocalPage(cpu: Cpu, va: Va): void {
    const vpn = vpnOf(va);
    cpu.tlb.drop(0, vpn, this.slotGone);
    if (cpu.loadedMm) cpu.tlb.drop(cpu.loadedMm.id, vpn, this.slotGone);
    this.ledger.charge('invlpg');
    this.ledger.counters.tlbFlushesLocal++;
  }

  // Models flush_tlb_local() (non-global entries) or __flush_tlb_all() (everything) on one CPU.
  flushLocalAll(cpu: Cpu, includeGlobal: boolean): void {
    cpu.tlb.dropAll(includeGlobal, this.slotGone);
    this.ledger.charge(includeGlobal ? 'flushAllGlobal' : 'flushLocalAll');
    this.ledger.counters.tlbFlushesLocal++;
  }

  // Models flush_tlb_kernel_range(): every online CPU flushes (IPIs to all but the initiator);
  // above tlb_single_page_flush_ceiling pages each does a full flush instead of invlpg per page.
  flushKernelRange(initiator: Cpu, start: Va, end: Va): { fullFlush: boolean; ipis: number } {
    const pages = Math.max(1, Math.ceil((end - start) / PAGE_SIZE));
    const full = pages > this.singlePageFlushCeiling;
    const online = this.cpus.length - this.offline.size;
    if (full) {
      // Every online CPU flushes everything, in CPU order; CPUs with empty TLBs are charged in
      // one batch each time (the same sum at the same moments: each TLB empties at the time the
      // CPUs before it have been charged), so a flush costs the TLBs that hold entries.
      let charged = 0;
      for (const cpu of this.cpus) {
        if (!cpu.online || cpu.tlb.entries.size === 0) continue;
        const before = this.onlineBefore(cpu.id);
        if (before > charged) this.ledger.charge('flushAllGlobal', before - charged);
        cpu.tlb.dropAll(true, this.slotGone);
        this.ledger.charge('flushAllGlobal');
        charged = before + 1;
      }
      if (online > charged) this.ledger.charge('flushAllGlobal', online - charged);
    } else {
      // Each online CPU invalidates the range and is charged for it, in CPU order.
      const first = vpnOf(start);
      const drops = new Map<number, number[]>();
      for (let i = 0; i < pages; i++) {
        for (const id of this.directory.holders(0, first + i)) {
          if (!this.cpus[id]?.online) continue;
          const list = drops.get(id);
          if (list) list.push(first + i);
          else drops.set(id, [first + i]);
        }
      }
      let charged = 0;
      for (const id of [...drops.keys()].sort((a, b) => a - b)) {
        const before = this.onlineBefore(id);
        if (before > charged) this.ledger.charge('invlpg', pages * (before - charged));
        charged = before;
        const cpu = this.cpus[id]!;
        for (const vpn of drops.get(id)!) cpu.tlb.drop(0, vpn, this.slotGone);
      }
      if (online > charged) this.ledger.charge('invlpg', pages * (online - charged));
    }
    const ipis = this.sendIpis(online - (initiator.online ? 1 : 0));
    this.ledger.counters.tlbFlushesGlobal++;
    return { fullFlush: full, ipis };
  }

  // Models flush_tlb_mm_range() for an mm's non-global entries: IPIs only to the CPUs that have
  // the mm loaded (its cpumask); other CPUs drop the mm's entries without an IPI, which stands
  // for the deferred flush switch_mm does when it sees the mm's tlb_gen moved.
  flushMm(initiator: Cpu | null, mm: Mm, start: Va, end: Va): { ipis: number } {
    const pages = Math.max(1, Math.ceil((end - start) / PAGE_SIZE));
    const full = pages > this.singlePageFlushCeiling;
    const first = vpnOf(start);
    const row = full ? 'flushLocalAll' : 'invlpg';
    const times = full ? 1 : pages;
    // The CPUs with the mm loaded flush (and are charged) in CPU order; the others drop silently.
    const loaded = [...mm.cpumask].filter((id) => this.cpus[id]?.online).sort((a, b) => a - b);
    const drops = new Map<number, number[]>();
    const note = (vpn: number, id: number) => {
      const list = drops.get(id);
      if (list) list.push(vpn);
      else drops.set(id, [vpn]);
    };
    if (full || pages > this.directory.pagesOf(mm.id)) {
      for (const { vpn, cpu } of this.directory.cached(mm.id)) {
        if (full || (vpn >= first && vpn < first + pages)) note(vpn, cpu);
      }
    } else {
      for (let i = 0; i < pages; i++)
        for (const id of this.directory.holders(mm.id, first + i)) note(first + i, id);
    }
    let charged = 0;
    for (const id of [...drops.keys()].sort((a, b) => a - b)) {
      let before = charged;
      while (before < loaded.length && loaded[before]! < id) before++;
      if (before > charged) this.ledger.charge(row, times * (before - charged));
      charged = before;
      const cpu = this.cpus[id]!;
      for (const vpn of drops.get(id)!) cpu.tlb.drop(mm.id, vpn, this.slotGone);
    }
    if (loaded.length > charged) this.ledger.charge(row, times * (loaded.length - charged));
    const targets = loaded.length - (initiator !== null && loaded.includes(initiator.id) ? 1 : 0);
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
}
