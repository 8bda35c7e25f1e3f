// The invariants after every step, at a cost that follows what the step changed instead of the number of
// caches. A cache's invariants read three kinds of state, and each kind says when it moved:
// - the cache's own fields, locks and counters: changed only by an op on that cache (the caller names it)
//   or by an invalidation walking the VM's cache list (which moves the VM's stateVersion);
// - VM-wide state (invalidations in flight, memslot generation, guest_memfd folios, private gfns, memslot
//   sets published during an invalidation): the VM's stateVersion, memslots.generation and counters;
// - translations (user and kernel PTEs, TLB entries, the direct map, VMAs, loaded mms, online CPUs): the
//   machine's PageChanges, by page, looked up through an index of each cache's khva and uhva page.
// Whatever moved, only the caches it can reach are checked again; the others keep their last result,
// which is what a full check would find again. The test compares both after every step of random runs.
import type { Vm } from '@khva/kvm';
import { type PageChanges, vpnOf } from '@khva/memory-core';
import { type GfnToPfnCache, NULL_KHVA } from './gpc.ts';
import { checkCache, type InvariantViolation } from './invariants.ts';

interface Tracked {
  readonly cache: GfnToPfnCache;
  /** Order of first sight: a full check walks the caches in this order. */
  readonly order: number;
  violations: readonly InvariantViolation[];
  /** Pages indexed for this cache (khva and uhva page), so a change there finds it. */
  pages: readonly number[];
}

/** What of a VM the invariants read besides page tables, as one comparable string. */
function vmState(vm: Vm): string {
  return `${vm.stateVersion}/${vm.memslots.generation}/${vm.publishedDuringInvalidation}`;
}

export class InvariantTracker {
  private readonly tracked = new Map<GfnToPfnCache, Tracked>();
  private readonly byVm = new Map<Vm, { state: string; caches: Tracked[] }>();
  private readonly byPage = new Map<number, Set<Tracked>>();
  private readonly violating = new Set<Tracked>();
  private readonly changes: PageChanges;
  private online: number;
  private lastChecked: readonly Tracked[] = [];

  constructor(private readonly machine: Vm['machine']) {
    this.changes = machine.watchPageChanges();
    this.online = machine.onlineCount;
  }

  /**
   * After a step: check again the caches `touched` (the op's cache; new caches are taken on here) and
   * every cache what changed can reach. Returns the names of the invariants broken now, in the order a
   * full check (checkInvariants over every cache, first seen first) would name them first.
   */
  check(touched: Iterable<GfnToPfnCache>): string[] {
    const again = new Set<Tracked>();
    for (const g of touched) again.add(this.track(g));
    const everything = this.changes.everything || this.machine.onlineCount !== this.online;
    this.online = this.machine.onlineCount;
    for (const [vm, entry] of this.byVm) {
      const state = vmState(vm);
      if (state === entry.state && !everything) continue;
      entry.state = state;
      for (const t of entry.caches) again.add(t);
    }
    if (!everything) {
      for (const vpn of this.changes.vpns) {
        const hit = this.byPage.get(vpn);
        if (hit !== undefined) for (const t of hit) again.add(t);
      }
    }
    this.changes.clear();
    for (const t of again) this.recheck(t);
    this.lastChecked = [...again];
    return this.names();
  }

  /**
   * The caches the last check looked at again: every cache the step could have changed (the others
   * are as they were), so per-cache counters moved only on these.
   */
  get checked(): GfnToPfnCache[] {
    return this.lastChecked.map((t) => t.cache);
  }

  /** Every violation now, as checkInvariants over every tracked cache would list them. */
  violations(): InvariantViolation[] {
    return [...this.violating].sort((a, b) => a.order - b.order).flatMap((t) => t.violations);
  }

  private names(): string[] {
    if (this.violating.size === 0) return [];
    return [...new Set(this.violations().map((v) => v.invariant))];
  }

  private track(g: GfnToPfnCache): Tracked {
    let t = this.tracked.get(g);
    if (t !== undefined) return t;
    t = { cache: g, order: this.tracked.size, violations: [], pages: [] };
    this.tracked.set(g, t);
    let vm = this.byVm.get(g.vm);
    if (vm === undefined) {
      vm = { state: vmState(g.vm), caches: [] };
      this.byVm.set(g.vm, vm);
    }
    vm.caches.push(t);
    return t;
  }

  private recheck(t: Tracked): void {
    t.violations = checkCache(t.cache);
    if (t.violations.length > 0) this.violating.add(t);
    else this.violating.delete(t);
    const g = t.cache;
    const pages = [vpnOf(g.uhva)];
    if (g.khva !== NULL_KHVA) pages.push(vpnOf(g.khva));
    if (pages.length === t.pages.length && pages.every((p, i) => p === t.pages[i])) return;
    for (const p of t.pages) this.byPage.get(p)?.delete(t);
    for (const p of pages) {
      let set = this.byPage.get(p);
      if (set === undefined) {
        set = new Set();
        this.byPage.set(p, set);
      }
      set.add(t);
    }
    t.pages = pages;
  }
}
