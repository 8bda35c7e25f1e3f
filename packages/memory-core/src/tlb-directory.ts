/**
 * Which CPUs hold a translation, by address-space id and virtual page: the reverse of every
 * CPU's TLB. The kernel has no such index (a shootdown asks every CPU in a cpumask); the model
 * keeps it so that marking entries stale and flushing touch only the CPUs that hold them, never
 * every CPU, and a per-access cost does not grow with the machine. One CPU is kept as a plain
 * number; a Set is made only when a second CPU caches the same page.
 */
/** No CPU holds the page (shared: an empty list has nothing for a caller to change). */
const NO_HOLDERS: readonly number[] = Object.freeze([]);

export class TlbDirectory {
  private readonly byAsid = new Map<number, Map<number, number | Set<number>>>();
  /** The address space add/remove touched last, and its pages (cleared when it is forgotten). */
  private lastAsid = -1;
  private lastPages: Map<number, number | Set<number>> | undefined;

  private pagesFor(asid: number): Map<number, number | Set<number>> | undefined {
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
      if (h !== cpu) pages.set(vpn, new Set([h, cpu]));
    } else h.add(cpu);
  }

  remove(asid: number, vpn: number, cpu: number): void {
    const pages = this.pagesFor(asid);
    const h = pages?.get(vpn);
    if (!pages || h === undefined) return;
    if (typeof h === 'number') {
      if (h === cpu) pages.delete(vpn);
    } else {
      h.delete(cpu);
      if (h.size === 1) pages.set(vpn, h.values().next().value as number);
      else if (h.size === 0) pages.delete(vpn);
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

  /** The CPUs caching (asid, vpn), as a fresh array (callers remove entries while they walk it). */
  holders(asid: number, vpn: number): readonly number[] {
    const h = this.byAsid.get(asid)?.get(vpn);
    if (h === undefined) return NO_HOLDERS;
    return typeof h === 'number' ? [h] : [...h];
  }

  /** Every (vpn, cpu) cached for an address-space id, as a fresh list. */
  cached(asid: number): Array<{ vpn: number; cpu: number }> {
    const out: Array<{ vpn: number; cpu: number }> = [];
    const pages = this.byAsid.get(asid);
    if (!pages) return out;
    for (const [vpn, h] of pages) {
      if (typeof h === 'number') out.push({ vpn, cpu: h });
      else for (const cpu of h) out.push({ vpn, cpu });
    }
    return out;
  }

  /** Pages cached under an address-space id (by any CPU). */
  pagesOf(asid: number): number {
    return this.byAsid.get(asid)?.size ?? 0;
  }
}
