import type { Frame } from './frames.ts';
import type { Pfn } from './layout.ts';
import type { PageChanges } from './page-changes.ts';
import type { TlbDirectory } from './tlb-directory.ts';

/** One cached translation. `asid` 0 = global (kernel G-bit) entry, else the owning mm's id (PCID). */
export interface TlbEntry {
  readonly key: number;
  readonly vpn: number;
  readonly asid: number;
  readonly pfn: Pfn;
  readonly gen: number;
  readonly ident?: string;
  readonly viaDirectMap: boolean;
  /** Oracle scope of a kernel entry (0 global, else mm id); -1 for user entries (not tracked). */
  readonly scope: number;
  /** The PTE this came from was cleared or changed; the entry still translates until flushed. */
  stale: boolean;
}

/** Told of an entry as it leaves a TLB (read its fields through the TLB's accessors, by slot). */
export type TlbGone = (tlb: Tlb, slot: number) => void;

/** The translations of one TLB, oldest first, as entry objects made on demand (a copy each time). */
export interface TlbEntries extends Iterable<[number, TlbEntry]> {
  readonly size: number;
  get(key: number): TlbEntry | undefined;
  has(key: number): boolean;
  keys(): IterableIterator<number>;
  values(): IterableIterator<TlbEntry>;
  entries(): IterableIterator<[number, TlbEntry]>;
}

const ASID_STRIDE = 2 ** 36;
export const tlbKey = (asid: number, vpn: number): number => asid * ASID_STRIDE + vpn;

const STALE = 1;
const VIA_DIRECT_MAP = 2;
const HAS_IDENT = 4;
/** Slots and hash-table size a TLB starts with (both double as more slots come into use). */
const FIRST_SLOTS = 8;
const FIRST_TABLE = 16;

/**
 * A CPU's TLB: a bounded cache of translations, 4 KiB granular (a simplification: real
 * direct-map entries may cover 2 MiB or 1 GiB), FIFO replacement. Entries survive PTE changes
 * until flushed or evicted; that is what makes stale windows observable.
 *
 * Kept as columns of typed arrays indexed by slot (a slot is reused once its entry leaves), with an
 * open-addressing hash from (asid, vpn) to slot and a doubly linked list of slots in fill order:
 * about 70 bytes per cached translation instead of an object and two map entries, and a hit that
 * allocates nothing. The numeric columns share one buffer that doubles up to the capacity as slots
 * come into use; a free slot is reused before a new one, so memory follows the most entries the
 * TLB has held at once, never the number of accesses.
 */
export class Tlb {
  /** Told of every entry that leaves or is replaced, while someone watches (Machine.watchPageChanges). */
  changes: PageChanges | null = null;
  /** The translations, oldest first (entry objects are copies; change them only through this class). */
  readonly entries: TlbEntries;
  #size = 0;
  /** Slots ever used: those at and above it were never touched (and not on the free list). */
  #used = 0;
  #key = new Float64Array(0);
  #vpn = new Float64Array(0);
  #pfn = new Float64Array(0);
  #gen = new Float64Array(0);
  #asid = new Int32Array(0);
  #scope = new Int32Array(0);
  #flags = new Uint8Array(0);
  #ident: Array<string | undefined> = [];
  /** The frame an access through the slot last found (frames are never dropped from memory). */
  #frame: Array<Frame | undefined> = [];
  /** Fill order: the next older and newer slot (-1: none); free slots chain through #newer. */
  #older = new Int32Array(0);
  #newer = new Int32Array(0);
  #oldest = -1;
  #newest = -1;
  #free = -1;
  /** Open-addressing hash: slot + 1 (0 empty), linear probing, deletion by backward shift. */
  #table = new Int32Array(0);
  /** The key find() answered last with a slot, and that slot (-1: none; cleared when it leaves). */
  #lastKey = -1;
  #lastSlot = -1;
  #shift = 32;

  constructor(
    readonly capacity: number,
    /** The machine's reverse index, told of every fill and removal (absent: a TLB on its own). */
    private readonly directory?: { readonly index: TlbDirectory; readonly cpu: number },
  ) {
    this.entries = new EntriesView(this);
    this.#grow(Math.min(capacity, FIRST_SLOTS));
    this.#rehash(Math.min(FIRST_TABLE, tableSizeFor(capacity)));
  }

  get size(): number {
    return this.#size;
  }

  // Models a TLB lookup tagged by PCID (global entries match any); differs: one level, 4 KiB entries only.
  lookup(asid: number, vpn: number): TlbEntry | undefined {
    const s = this.find(asid, vpn);
    return s < 0 ? undefined : this.entryAt(s);
  }

  /** The slot caching (asid, vpn), or -1: the allocation-free lookup the MMU uses. */
  find(asid: number, vpn: number): number {
    const key = asid * ASID_STRIDE + vpn;
    // The page found last (a cache written again and again): no hash probe.
    if (key === this.#lastKey) return this.#lastSlot;
    const table = this.#table;
    const mask = table.length - 1;
    for (let i = hash(asid, vpn, this.#shift); ; i = (i + 1) & mask) {
      const s = table[i]! - 1;
      if (s < 0) return -1;
      if (this.#key[s] === key) {
        this.#lastKey = key;
        this.#lastSlot = s;
        return s;
      }
    }
  }

  // ---- the fields of a slot (valid while its entry is cached) ----
  pfnAt(slot: number): Pfn {
    return this.#pfn[slot]!;
  }
  genAt(slot: number): number {
    return this.#gen[slot]!;
  }
  vpnAt(slot: number): number {
    return this.#vpn[slot]!;
  }
  asidAt(slot: number): number {
    return this.#asid[slot]!;
  }
  scopeAt(slot: number): number {
    return this.#scope[slot]!;
  }
  identAt(slot: number): string | undefined {
    return this.#ident[slot];
  }
  isStale(slot: number): boolean {
    return (this.#flags[slot]! & STALE) !== 0;
  }
  viaDirectMapAt(slot: number): boolean {
    return (this.#flags[slot]! & VIA_DIRECT_MAP) !== 0;
  }
  /** The frame the last access through this slot found, if one was remembered. */
  frameAt(slot: number): Frame | undefined {
    return this.#frame[slot];
  }
  rememberFrame(slot: number, frame: Frame): void {
    this.#frame[slot] = frame;
  }
  /** The PTE behind the entry changed: it still translates, to what it was filled with. */
  markStaleAt(slot: number): void {
    this.#flags[slot] = this.#flags[slot]! | STALE;
  }

  /** A copy of the entry in a slot. */
  entryAt(slot: number): TlbEntry {
    const flags = this.#flags[slot]!;
    const common = {
      key: this.#key[slot]!,
      vpn: this.#vpn[slot]!,
      asid: this.#asid[slot]!,
      pfn: this.#pfn[slot]!,
      gen: this.#gen[slot]!,
    };
    const rest = {
      viaDirectMap: (flags & VIA_DIRECT_MAP) !== 0,
      scope: this.#scope[slot]!,
      stale: (flags & STALE) !== 0,
    };
    return (flags & HAS_IDENT) !== 0
      ? { ...common, ident: this.#ident[slot]!, ...rest }
      : { ...common, ...rest };
  }

  /** Insert; returns the entry evicted to make room, if any. */
  insert(entry: TlbEntry): TlbEntry | undefined {
    let evicted: TlbEntry | undefined;
    this.fill(
      entry.asid,
      entry.vpn,
      entry.pfn,
      entry.gen,
      entry.ident,
      entry.viaDirectMap,
      entry.scope,
      entry.stale,
      (tlb, slot) => {
        evicted = tlb.entryAt(slot);
      },
    );
    return evicted;
  }

  // Models a TLB fill after a page walk; differs: FIFO replacement instead of the hardware's policy.
  /**
   * Cache a translation; when the TLB is full the oldest entry is evicted first and `evicted` is
   * told of it (before its slot is reused). A key already cached keeps its place in fill order and
   * takes the new fields. Returns the slot.
   */
  fill(
    asid: number,
    vpn: number,
    pfn: Pfn,
    gen: number,
    ident: string | undefined,
    viaDirectMap: boolean,
    scope: number,
    stale: boolean,
    evicted?: TlbGone,
  ): number {
    let slot = this.find(asid, vpn);
    if (slot >= 0) {
      this.changes?.page(vpn);
    } else {
      if (this.#size >= this.capacity) {
        const oldest = this.#oldest;
        evicted?.(this, oldest);
        this.#release(oldest);
      }
      if (this.#free >= 0) {
        slot = this.#free;
        this.#free = this.#newer[slot]!;
      } else {
        if (this.#used === this.#key.length) this.#grow(Math.min(this.capacity, this.#used * 2));
        slot = this.#used++;
        this.#ident.push(undefined);
        this.#frame.push(undefined);
        // Keep the hash at most half full of the slots in use.
        if (this.#used * 2 > this.#table.length) this.#rehash(this.#table.length * 2);
      }
      // Newest in fill order.
      this.#older[slot] = this.#newest;
      this.#newer[slot] = -1;
      if (this.#newest >= 0) this.#newer[this.#newest] = slot;
      else this.#oldest = slot;
      this.#newest = slot;
      this.#key[slot] = asid * ASID_STRIDE + vpn;
      this.#vpn[slot] = vpn;
      this.#asid[slot] = asid;
      this.#hashInsert(slot);
      this.#size++;
    }
    this.#pfn[slot] = pfn;
    this.#gen[slot] = gen;
    this.#scope[slot] = scope;
    this.#ident[slot] = ident;
    this.#frame[slot] = undefined;
    this.#flags[slot] =
      (stale ? STALE : 0) | (viaDirectMap ? VIA_DIRECT_MAP : 0) | (ident !== undefined ? HAS_IDENT : 0);
    this.directory?.index.add(asid, vpn, this.directory.cpu);
    return slot;
  }

  /** find() by a tlbKey(asid, vpn). */
  findKey(key: number): number {
    const asid = Math.floor(key / ASID_STRIDE);
    return this.find(asid, key - asid * ASID_STRIDE);
  }

  remove(key: number): TlbEntry | undefined {
    const slot = this.findKey(key);
    if (slot < 0) return undefined;
    const e = this.entryAt(slot);
    this.#release(slot);
    return e;
  }

  /** Remove (asid, vpn) if cached, telling `gone` first; returns whether it was. */
  drop(asid: number, vpn: number, gone: TlbGone): boolean {
    const slot = this.find(asid, vpn);
    if (slot < 0) return false;
    gone(this, slot);
    this.#release(slot);
    return true;
  }

  /** Remove entries matching the predicate; returns them (oldest first). */
  removeWhere(pred: (e: TlbEntry) => boolean): TlbEntry[] {
    const out: TlbEntry[] = [];
    for (let s = this.#oldest; s >= 0; ) {
      const next = this.#newer[s]!;
      const e = this.entryAt(s);
      if (pred(e)) {
        out.push(e);
        this.#release(s);
      }
      s = next;
    }
    return out;
  }

  /**
   * Remove every entry (or every non-global one), oldest first, telling `gone` of each before it
   * goes: what a full flush does, without an entry object per translation.
   */
  dropAll(includeGlobal: boolean, gone: TlbGone): void {
    for (let s = this.#oldest; s >= 0; ) {
      const next = this.#newer[s]!;
      if (includeGlobal || this.#asid[s] !== 0) {
        gone(this, s);
        this.#release(s);
      }
      s = next;
    }
  }

  /** Slots oldest first (for the entries view). */
  *slots(): Generator<number> {
    for (let s = this.#oldest; s >= 0; s = this.#newer[s]!) yield s;
  }

  /** The entry leaves: tell the watchers and the directory, unlink it, free its slot. */
  #release(slot: number): void {
    const vpn = this.#vpn[slot]!;
    this.changes?.page(vpn);
    this.directory?.index.remove(this.#asid[slot]!, vpn, this.directory.cpu);
    const older = this.#older[slot]!;
    const newer = this.#newer[slot]!;
    if (older >= 0) this.#newer[older] = newer;
    else this.#oldest = newer;
    if (newer >= 0) this.#older[newer] = older;
    else this.#newest = older;
    this.#hashDelete(slot);
    if (slot === this.#lastSlot) {
      this.#lastKey = -1;
      this.#lastSlot = -1;
    }
    this.#ident[slot] = undefined;
    this.#frame[slot] = undefined;
    this.#newer[slot] = this.#free;
    this.#free = slot;
    this.#size--;
  }

  #hashInsert(slot: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let i = hash(this.#asid[slot]!, this.#vpn[slot]!, this.#shift);
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = slot + 1;
  }

  #hashDelete(slot: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let i = hash(this.#asid[slot]!, this.#vpn[slot]!, this.#shift);
    while (table[i] !== slot + 1) i = (i + 1) & mask;
    // Backward shift: move later members of the probe run into the hole when their home allows.
    for (let j = (i + 1) & mask; table[j] !== 0; j = (j + 1) & mask) {
      const s = table[j]! - 1;
      const home = hash(this.#asid[s]!, this.#vpn[s]!, this.#shift);
      // Keep s where it is if its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      table[i] = table[j]!;
      i = j;
    }
    table[i] = 0;
  }

  /**
   * Room for `slots` entries: every numeric column in one new buffer (8-byte columns first, so
   * each view is aligned), the old columns copied in. One allocation per doubling, not one per
   * column: fewer freed blocks left behind in the host's allocator.
   */
  #grow(slots: number): void {
    const n = slots;
    const buf = new ArrayBuffer(n * (4 * 8 + 4 * 4 + 1));
    const f64 = (old: Float64Array, at: number) => {
      const a = new Float64Array(buf, at * n, n);
      a.set(old);
      return a;
    };
    const i32 = (old: Int32Array, at: number) => {
      const a = new Int32Array(buf, at * n, n);
      a.set(old);
      return a;
    };
    this.#key = f64(this.#key, 0);
    this.#vpn = f64(this.#vpn, 8);
    this.#pfn = f64(this.#pfn, 16);
    this.#gen = f64(this.#gen, 24);
    this.#asid = i32(this.#asid, 32);
    this.#scope = i32(this.#scope, 36);
    this.#older = i32(this.#older, 40);
    this.#newer = i32(this.#newer, 44);
    const flags = new Uint8Array(buf, 48 * n, n);
    flags.set(this.#flags);
    this.#flags = flags;
  }

  /** A hash table of `size` entries (a power of two), holding every cached slot again. */
  #rehash(size: number): void {
    this.#table = new Int32Array(size);
    this.#shift = 32 - Math.log2(size);
    for (let s = this.#oldest; s >= 0; s = this.#newer[s]!) this.#hashInsert(s);
  }
}

/** The smallest power of two at least twice `slots` (a table that full keeps probe runs short). */
function tableSizeFor(slots: number): number {
  let size = 2;
  while (size < slots * 2) size *= 2;
  return size;
}

/** Fibonacci hashing of (asid, vpn) to a table index (the top `32 - shift` bits of the product). */
function hash(asid: number, vpn: number, shift: number): number {
  const lo = vpn | 0;
  const hi = (vpn / 4294967296) | 0;
  return Math.imul(lo ^ Math.imul(hi + asid, 0x27d4eb2d), 0x9e3779b1) >>> shift;
}

class EntriesView implements TlbEntries {
  constructor(private readonly tlb: Tlb) {}
  get size(): number {
    return this.tlb.size;
  }
  get(key: number): TlbEntry | undefined {
    const s = this.tlb.findKey(key);
    return s < 0 ? undefined : this.tlb.entryAt(s);
  }
  has(key: number): boolean {
    return this.get(key) !== undefined;
  }
  *keys(): IterableIterator<number> {
    for (const s of this.tlb.slots()) yield tlbKey(this.tlb.asidAt(s), this.tlb.vpnAt(s));
  }
  *values(): IterableIterator<TlbEntry> {
    for (const s of this.tlb.slots()) yield this.tlb.entryAt(s);
  }
  *entries(): IterableIterator<[number, TlbEntry]> {
    for (const s of this.tlb.slots()) {
      const e = this.tlb.entryAt(s);
      yield [e.key, e];
    }
  }
  [Symbol.iterator](): IterableIterator<[number, TlbEntry]> {
    return this.entries();
  }
}
