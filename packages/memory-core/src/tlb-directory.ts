/**
 * Which CPUs hold a translation, by address-space id and virtual page: the reverse of every
 * CPU's TLB. The kernel has no such index (a shootdown asks every CPU in a cpumask); the model
 * keeps it so that marking entries stale and flushing touch only the CPUs that hold them, never
 * every CPU, and a per-access cost does not grow with the machine. One CPU is kept as a plain
 * number; when a second CPU caches the same page the holders become a bitset over CPU ids (word
 * 0 counts them), a few bytes per CPU however many hold the page (a page every CPU caches, as
 * an event-channel page reached from IRQs on any CPU, costs 4 bytes per 32 CPUs, not a Set).
 */
/** A page's holders: one CPU id, or a bitset (word 0: how many bits are set; bit c of words 1..: CPU c). */
type Holders = number | Uint32Array;

/** No CPU holds the page (shared: an empty list has nothing for a caller to change). */
const NO_HOLDERS: readonly number[] = Object.freeze([]);

export class TlbDirectory {
  private readonly byAsid = new Map<number, Map<number, Holders>>();
  /** The address space add/remove touched last, and its pages (cleared when it is forgotten). */
  private lastAsid = -1;
  private lastPages: Map<number, Holders> | undefined;

  private pagesFor(asid: number): Map<number, Holders> | undefined {
    if (asid === this.lastAsid && this.lastPages !== undefined) return this.lastPages;
    const pages = this.byAsid.get(asid);
    if (pages) {
      this.lastAsid = asid;
      this.lastPages = pages;
    }
    return pages;
  }

  add(asid: number, vpn: number, cpu: number): void {
    let pages = this.pagesFor(asid);
    if (!pages) {
      pages = new Map();
      this.byAsid.set(asid, pages);
    }
    const h = pages.get(vpn);
    if (h === undefined) pages.set(vpn, cpu);
    else if (typeof h === 'number') {
      if (h !== cpu) {
        let bits = withBit(new Uint32Array(1 + wordsFor(Math.max(h, cpu))), h);
        bits = withBit(bits, cpu);
        pages.set(vpn, bits);
      }
    } else {
      const bits = withBit(h, cpu);
      if (bits !== h) pages.set(vpn, bits);
    }
  }

  remove(asid: number, vpn: number, cpu: number): void {
    const pages = this.pagesFor(asid);
    const h = pages?.get(vpn);
    if (!pages || h === undefined) return;
    if (typeof h === 'number') {
      if (h === cpu) pages.delete(vpn);
    } else {
      const w = 1 + (cpu >>> 5);
      const bit = 1 << (cpu & 31);
      if (w >= h.length || (h[w]! & bit) === 0) return;
      h[w] = h[w]! & ~bit;
      h[0] = h[0]! - 1;
      if (h[0] === 1) pages.set(vpn, firstBit(h));
      else if (h[0] === 0) pages.delete(vpn);
    }
    // An address space whose last page went keeps its (empty) map until forgetAsid(): a page
    // flushed and refilled over and over (invlpg then a walk) makes no map each time.
  }

  /** The address space is gone (mm teardown): drop its map once nothing is cached under it. */
  forgetAsid(asid: number): void {
    if ((this.byAsid.get(asid)?.size ?? 0) > 0) return;
    this.byAsid.delete(asid);
    if (asid === this.lastAsid) {
      this.lastAsid = -1;
      this.lastPages = undefined;
    }
  }

  /** The CPUs caching (asid, vpn), ascending, as a fresh array (callers remove entries while they walk it). */
  holders(asid: number, vpn: number): readonly number[] {
    const h = this.byAsid.get(asid)?.get(vpn);
    if (h === undefined) return NO_HOLDERS;
    return typeof h === 'number' ? [h] : cpusOf(h, []);
  }

  /** Every (vpn, cpu) cached for an address-space id, as a fresh list. */
  cached(asid: number): Array<{ vpn: number; cpu: number }> {
    const out: Array<{ vpn: number; cpu: number }> = [];
    const pages = this.byAsid.get(asid);
    if (!pages) return out;
    for (const [vpn, h] of pages) {
      if (typeof h === 'number') out.push({ vpn, cpu: h });
      else for (const cpu of cpusOf(h, [])) out.push({ vpn, cpu });
    }
    return out;
  }

  /** Pages cached under an address-space id (by any CPU). */
  pagesOf(asid: number): number {
    return this.byAsid.get(asid)?.size ?? 0;
  }
}

/** Words of bitset that hold CPU ids up to `cpu`. */
const wordsFor = (cpu: number): number => 1 + (cpu >>> 5);

/** The bitset with `cpu` set (a larger copy when it does not reach that far). */
function withBit(h: Uint32Array, cpu: number): Uint32Array {
  const w = 1 + (cpu >>> 5);
  let bits = h;
  if (w >= bits.length) {
    bits = new Uint32Array(1 + wordsFor(cpu));
    bits.set(h);
  }
  const bit = 1 << (cpu & 31);
  if ((bits[w]! & bit) === 0) {
    bits[w] = bits[w]! | bit;
    bits[0] = bits[0]! + 1;
  }
  return bits;
}

function firstBit(h: Uint32Array): number {
  for (let w = 1; w < h.length; w++) if (h[w] !== 0) return (w - 1) * 32 + (31 - Math.clz32(h[w]! & -h[w]!));
  return -1;
}

function cpusOf(h: Uint32Array, out: number[]): number[] {
  for (let w = 1; w < h.length; w++) {
    let x = h[w]!;
    while (x !== 0) {
      const low = x & -x;
      out.push((w - 1) * 32 + (31 - Math.clz32(low)));
      x ^= low;
    }
  }
  return out;
}
