// The timeline of a scenario run: one row per step, one column per thread, and the state a kernel
// reader needs to follow the race (locks, the cache, the invalidation counters, pages, stale TLBs).

/** A thread of the scenario: its column. */
export interface TimelineThread {
  readonly name: string;
  readonly kind: 'vcpu' | 'host' | 'process' | 'irq' | 'kthread';
  /** The CPU it was placed on by the scenario. */
  readonly cpu: number;
  readonly vm?: string;
}

/** What a thread is doing after a step. */
export interface ThreadCell {
  /** The CPU it runs on now (`run` moves it). */
  readonly cpu: number;
  /** idle: no op in progress; paused: stopped at a yield label; blocked: waiting for a lock. */
  readonly status: 'idle' | 'paused' | 'blocked';
  /** The op in progress (paused or blocked). */
  readonly op?: string;
  /** Where it stopped (the yield label). */
  readonly at?: string;
  /** Inside gpc_to_pfn_retry's unlocked window of this cache's refresh. */
  readonly unlockedWindow?: string;
  /** Locks it holds, as `pv.lock (write)`, `pv.lock (read)`, `pv.refresh_lock`. */
  readonly holds: readonly string[];
}

/** One cache after a step. */
export interface CacheState {
  readonly name: string;
  readonly vm: string;
  readonly active: boolean;
  readonly valid: boolean;
  readonly pfn: number | null;
  readonly khva: string | null;
  /** Who holds gpc->lock: the writer, or the readers. */
  readonly lockWriter: string | null;
  readonly lockReaders: readonly string[];
  /** Who holds refresh_lock. */
  readonly refreshLock: string | null;
  /** The thread inside gpc_to_pfn_retry's unlocked window, if any. */
  readonly unlockedWindow: string | null;
}

/** A VM's invalidation counters after a step. */
export interface VmState {
  readonly name: string;
  readonly mmuInvalidateSeq: number;
  /** mmu_invalidate_in_progress: invalidations between start and end. */
  readonly activeInvalidations: number;
}

/** mapped: allocated and in the direct map; zapped: allocated, removed from the direct map;
 * freed: back with the allocator; reused: handed to someone else since the timeline first saw it. */
export type PageStatus = 'mapped' | 'zapped' | 'freed' | 'reused';

/** A page the run touched (a cache's pfn, a guest_memfd folio, a stale TLB entry's target). */
export interface PageState {
  readonly pfn: number;
  readonly status: PageStatus;
  /** What the page held when the timeline first saw it (e.g. `vm1:gmem0:1`). */
  readonly was: string;
  /** What it holds now, when that differs. */
  readonly now?: string;
}

/** A TLB entry that still translates although its PTE was cleared or changed. */
export interface StaleTlbEntry {
  readonly cpu: number;
  readonly va: string;
  readonly pfn: number;
}

/** Something the step broke: an invariant, an oops, a use-after-free, a failed expect, an error. */
export interface Breakage {
  readonly kind: 'invariant' | 'oops' | 'use-after-free' | 'expect' | 'error';
  readonly name: string;
  /** What the rule says (for invariants, its description in the model). */
  readonly meaning: string;
  readonly detail?: string;
}

/** One row: the step and the world after it. */
export interface TimelineStep {
  readonly step: number;
  readonly thread: string;
  readonly op: string;
  readonly result: string;
  readonly pauseAt?: string;
  readonly note?: string;
  readonly threads: Readonly<Record<string, ThreadCell>>;
  readonly caches: readonly CacheState[];
  readonly vms: readonly VmState[];
  readonly pages: readonly PageState[];
  readonly staleTlb: readonly StaleTlbEntry[];
  readonly breaks: readonly Breakage[];
}

export interface Timeline {
  readonly title: string;
  readonly description?: string;
  readonly backend: string;
  /** Kernel switches the run used. */
  readonly kernel: Readonly<Record<string, boolean | string>>;
  readonly cpus: number;
  readonly threads: readonly TimelineThread[];
  readonly steps: readonly TimelineStep[];
  /** Every expect held. */
  readonly ok: boolean;
  /** The first step that broke something (1-based), or null. */
  readonly firstBreak: number | null;
}
