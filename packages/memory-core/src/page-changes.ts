// Which pages' translations changed since an observer last looked: the virtual page numbers whose PTE was
// set or cleared, whose TLB entry left a TLB or went stale, whose direct-map PTE was removed or restored,
// and `everything` for changes not tied to a page (a VMA mapped or unmapped, an mm switched or torn down).
// Off by default (null on every table): only a checker that re-examines the pages it is told of turns it on
// (Machine.watchPageChanges), so runs that do not watch pay one null test per change.

export class PageChanges {
  /** Virtual page numbers (user and kernel alike: a superset is harmless, a missing page is not). */
  readonly vpns = new Set<number>();
  /** A change that no page number describes: every translation may differ. */
  everything = false;

  page(vpn: number): void {
    this.vpns.add(vpn);
  }

  /** Forget what was seen (the observer has looked). */
  clear(): void {
    this.vpns.clear();
    this.everything = false;
  }
}
