import type { Cpu } from './cpu.ts';
import type { DirectMap } from './direct-map.ts';
import { PAGE_SIZE, type Pfn, type Va } from './layout.ts';
import type { Mm } from './mm.ts';
import { GLOBAL_SCOPE } from './oracle.ts';
import type { PageTable } from './page-table.ts';

/** Every kernel translation of one frame at this instant: which mms and CPUs can reach it. */
export interface Reachability {
  readonly pfn: Pfn;
  /** Its direct-map PTE is present (reachable from every mm). */
  readonly directMap: boolean;
  /** Kernel PTEs mapping it: scope 0 is the global vmalloc range, else the mm-local region of that mm. */
  readonly ptes: ReadonlyArray<{ readonly scope: number; readonly va: Va }>;
  /** Kernel TLB entries that translate to it, stale ones included (scope as for ptes). */
  readonly tlb: ReadonlyArray<{
    readonly cpu: number;
    readonly scope: number;
    readonly va: Va;
    readonly stale: boolean;
  }>;
  /** The mms it is reachable from: 'all' when any translation is global, else mm ids (ascending). */
  readonly mms: 'all' | readonly number[];
  /** Online CPUs that can translate to it now: a usable TLB entry, or a PTE their page walk reaches. */
  readonly cpus: readonly number[];
}

/** The parts of the machine a reachability question reads. */
export interface ReachabilityParts {
  readonly kernelPt: PageTable;
  readonly mms: ReadonlyMap<number, Mm>;
  readonly directMap: DirectMap;
  readonly cpus: readonly Cpu[];
}

// Not a kernel function: the oracle's question "who can reach this frame?", answered by
// scanning kernel PTEs and TLBs (user PTEs are the owner's own mappings and are left out).
// A check and test helper, never on a per-access path.
export function reachabilityOf(m: ReachabilityParts, pfn: Pfn): Reachability {
  const ptes: Array<{ scope: number; va: Va }> = [];
  for (const [vpn, pte] of m.kernelPt.entries()) {
    if (pte.pfn === pfn) ptes.push({ scope: GLOBAL_SCOPE, va: vpn * PAGE_SIZE });
  }
  for (const mm of m.mms.values()) {
    for (const [vpn, pte] of mm.localPt.entries())
      if (pte.pfn === pfn) ptes.push({ scope: mm.id, va: vpn * PAGE_SIZE });
  }
  const directMap = m.directMap.isPresent(pfn);
  const tlb: Array<{ cpu: number; scope: number; va: Va; stale: boolean }> = [];
  const cpus: number[] = [];
  for (const cpu of m.cpus) {
    let reaches = directMap || ptes.some((p) => p.scope === GLOBAL_SCOPE || p.scope === cpu.loadedMm?.id);
    for (const e of cpu.tlb.entries.values()) {
      if (e.scope < 0 || e.pfn !== pfn) continue;
      tlb.push({ cpu: cpu.id, scope: e.scope, va: e.vpn * PAGE_SIZE, stale: e.stale });
      if (e.asid === 0 || e.asid === cpu.loadedMm?.id) reaches = true;
    }
    if (reaches && cpu.online) cpus.push(cpu.id);
  }
  const scopes = new Set([...ptes, ...tlb].map((x) => x.scope));
  const mms = directMap || scopes.has(GLOBAL_SCOPE) ? 'all' : [...scopes].sort((a, b) => a - b);
  return { pfn, directMap, ptes, tlb, mms, cpus };
}
