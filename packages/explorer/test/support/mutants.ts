import type { Pfn, SimThread, Va } from '@khva/memory-core';
import { pageAlignDown } from '@khva/memory-core';
import { GfnToPfnCache, NULL_KHVA } from '@khva/pfncache';

/** Mutant 1: the retry loop never re-checks the invalidation sequence or the active count. */
export class NoRetryGpc extends GfnToPfnCache {
  protected override gpcInvalidateRetry(_mmuSeq: number): boolean {
    return false;
  }
}

/** Mutant 2: the cache's current mapping is unmapped before the new one is installed. */
export class UnmapFirstGpc extends GfnToPfnCache {
  protected override gpcMap(t: SimThread, pfn: Pfn): Va {
    if (this.khva !== NULL_KHVA) this.gpcUnmap(t, this.pfn, pageAlignDown(this.khva));
    return super.gpcMap(t, pfn);
  }
}

/** Mutant 3: invalidation does not mark the cache invalid. */
export class NoInvalidateGpc extends GfnToPfnCache {
  protected override markInvalidated(): void {}
}

export const mutants = [
  { name: 'retry loop ignores the invalidation sequence', gpcClass: NoRetryGpc },
  { name: 'old mapping unmapped before the new one is installed', gpcClass: UnmapFirstGpc },
  { name: 'invalidation does not mark the cache invalid', gpcClass: NoInvalidateGpc },
] as const;
