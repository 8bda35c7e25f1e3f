import { ExhaustedError, ModelUsageError } from './errors.ts';
import { PAGE_SIZE, type Pfn } from './layout.ts';
import { MIGRATE_UNMOVABLE, type MigrateType, PageAllocator } from './page-alloc.ts';

/** Who owns a frame: FREE, HOST (kernel/VMM), or a VM id (> 0). */
export type OwnerId = number;
export const FREE: OwnerId = -1;
export const HOST: OwnerId = 0;

/** Sensitivity: secret guest data, a shared paravirt page, or nothing of the guest's. */
export type Sensitivity = 'none' | 'secret' | 'pv';

export interface Frame {
  readonly pfn: Pfn;
  owner: OwnerId;
  /** The mm the owner runs in (the VMM's mm for a VM), for "foreign" reachability. */
  ownerMm: number;
  tag: Sensitivity;
  /** The page's mapping is flagged no-direct-map (AS_NO_DIRECT_MAP on a guest_memfd folio). */
  noDirectMap: boolean;
  /** PageAnon: folio->mapping is an anon_vma tagged with FOLIO_MAPPING_ANON, not an address_space. */
  anon: boolean;
  refcount: number;
  /** Bumped on every free. */
  gen: number;
  /**
   * What the page holds in this life (e.g. `vm1:gmem0:5`): a translation made for another
   * identity is a use-after-free once the frame was freed or handed to someone else.
   */
  ident: string;
  /** Bytes exist only once written (sparse memory). */
  bytes: Uint8Array | null;
}

export interface FrameListener {
  frameOwnerChanged(frame: Frame, previousOwner: OwnerId): void;
}

/**
 * Sparse physical memory with an order-0 page allocator by migratetype (page-alloc.ts): per-CPU
 * lists per migratetype in front of buddy lists per migratetype, pageblocks changing migratetype
 * only through the fallback. A freed page is handed out again first on its CPU, to a request of
 * its pageblock's migratetype: that is what turns a stale mapping into a real use-after-free.
 */
export class PhysicalMemory {
  readonly frames = new Map<Pfn, Frame>();
  readonly allocator: PageAllocator;
  /** Which CPU allocates or frees (set by the machine to the CPU running the current thread). */
  cpuOf: () => number = () => 0;
  #listener: FrameListener | null = null;

  constructor(
    readonly totalPages: number,
    /** The first pages belong to the kernel image and boot allocations. */
    readonly firstAllocatable: Pfn = 4096,
    /** Pages free at start (default: all the rest); other users hold the memory above them. */
    freePages?: number,
  ) {
    if (firstAllocatable >= totalPages) throw new ModelUsageError('machine memory too small');
    const end = Math.min(totalPages, firstAllocatable + (freePages ?? totalPages));
    if (end <= firstAllocatable) throw new ModelUsageError('machine free memory must be at least one page');
    this.allocator = new PageAllocator(firstAllocatable, end, totalPages - firstAllocatable);
  }

  setListener(listener: FrameListener): void {
    this.#listener = listener;
  }

  get(pfn: Pfn): Frame | undefined {
    return this.frames.get(pfn);
  }

  /** pfn_valid(): the pfn is RAM with a struct page. */
  isRam(pfn: Pfn): boolean {
    return Number.isInteger(pfn) && pfn >= 0 && pfn < this.totalPages;
  }

  /** Pages the allocator may hand out (the free memory at start). */
  get allocatablePages(): number {
    return this.allocator.end - this.allocator.start;
  }

  get allocatedPages(): number {
    let n = 0;
    for (const f of this.frames.values()) if (f.owner !== FREE) n++;
    return n;
  }

  // Models alloc_page(gfp) for order 0: the local CPU's pcp list of the request's migratetype,
  // the buddy behind it, the fallback; drains every CPU's lists before giving up (no reclaim).
  /** alloc_page(): one order-0 frame, refcount 1; `mt` from the gfp flags (GFP_KERNEL: unmovable). */
  alloc(
    owner: OwnerId,
    ownerMm: number,
    tag: Sensitivity = 'none',
    ident?: string,
    mt: MigrateType = MIGRATE_UNMOVABLE,
  ): Frame {
    if (owner === FREE) throw new ModelUsageError('cannot allocate a frame to FREE');
    const cpu = this.cpuOf();
    let pfn = this.allocator.allocPage(cpu, mt);
    if (pfn === null) {
      this.allocator.drainAllPages();
      pfn = this.allocator.allocPage(cpu, mt);
    }
    if (pfn === null) {
      throw new ExhaustedError('memory', `out of memory: all ${this.allocatablePages} free frames in use`);
    }
    let frame = this.frames.get(pfn);
    if (!frame) {
      frame = {
        pfn,
        owner: FREE,
        ownerMm: 0,
        tag: 'none',
        noDirectMap: false,
        anon: false,
        refcount: 0,
        gen: 0,
        ident: 'free',
        bytes: null,
      };
      this.frames.set(pfn, frame);
    }
    const prev = frame.owner;
    frame.owner = owner;
    frame.ownerMm = ownerMm;
    frame.tag = tag;
    frame.anon = false;
    frame.refcount = 1;
    frame.ident = ident ?? `o${owner}:g${frame.gen}`;
    this.#listener?.frameOwnerChanged(frame, prev);
    return frame;
  }

  /** Take a reference (get_page). */
  getPage(pfn: Pfn): void {
    const f = this.mustBeLive(pfn);
    f.refcount++;
  }

  /** Drop a reference (put_page); the frame is freed when the last one goes. */
  putPage(pfn: Pfn): void {
    const f = this.mustBeLive(pfn);
    f.refcount--;
    if (f.refcount === 0) this.release(f);
  }

  private release(f: Frame): void {
    const prev = f.owner;
    f.owner = FREE;
    f.ownerMm = 0;
    f.tag = 'none';
    f.noDirectMap = false;
    f.anon = false;
    f.gen++;
    f.ident = 'free';
    // Contents stay until someone else writes: a stale reader sees the old owner's data.
    this.allocator.freePage(this.cpuOf(), f.pfn);
    this.#listener?.frameOwnerChanged(f, prev);
  }

  private mustBeLive(pfn: Pfn): Frame {
    const f = this.frames.get(pfn);
    if (!f || f.owner === FREE) throw new ModelUsageError(`pfn ${pfn} is not allocated`);
    return f;
  }

  write(frame: Frame, offset: number, data: Uint8Array): void {
    if (!frame.bytes) {
      // A page never written reads as zeros: writing zeros to it needs no bytes (sparse memory).
      if (isZero(data)) return;
      frame.bytes = new Uint8Array(PAGE_SIZE);
    }
    const bytes = frame.bytes;
    // A few bytes (a pvclock or event-channel store) are copied by hand: TypedArray#set costs
    // more than the copy itself at this size.
    const n = data.length;
    if (n <= SMALL_COPY && Number.isInteger(offset) && offset >= 0 && offset + n <= PAGE_SIZE) {
      const o = offset | 0; // a small integer index (offsets computed from addresses are doubles)
      if (n === 8) {
        // A u64 store (pvclock fields, event-channel words), unrolled.
        bytes[o] = data[0]!;
        bytes[o + 1] = data[1]!;
        bytes[o + 2] = data[2]!;
        bytes[o + 3] = data[3]!;
        bytes[o + 4] = data[4]!;
        bytes[o + 5] = data[5]!;
        bytes[o + 6] = data[6]!;
        bytes[o + 7] = data[7]!;
      } else for (let i = 0; i < n; i++) bytes[o + i] = data[i]!;
    } else bytes.set(data, offset);
  }

  /** Write `len` zero bytes (a store whose value the model does not carry): no copy, no scan. */
  zero(frame: Frame, offset: number, len: number): void {
    frame.bytes?.fill(0, offset, offset + len);
  }

  read(frame: Frame, offset: number, len: number): Uint8Array {
    return frame.bytes ? frame.bytes.slice(offset, offset + len) : new Uint8Array(len);
  }
}

/** Up to this many bytes, write() copies byte by byte. */
const SMALL_COPY = 16;

function isZero(data: Uint8Array): boolean {
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
}
