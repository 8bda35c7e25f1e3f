// The gpc counters a step moved (map and unmap calls, would-block results), summed over only the caches
// the step could have changed (InvariantTracker.checked) instead of over every cache before and after.
import type { GfnToPfnCache } from '@khva/pfncache';

export interface CacheCounterDeltas {
  mapCalls: number;
  unmapCalls: number;
  wouldBlock: number;
}

export class StepCounters {
  /** Each cache's counters when last summed. */
  private readonly seen = new Map<GfnToPfnCache, CacheCounterDeltas>();

  /** What moved since the last call, on `caches` (every cache whose counters may have moved). */
  take(caches: Iterable<GfnToPfnCache>): CacheCounterDeltas {
    const out: CacheCounterDeltas = { mapCalls: 0, unmapCalls: 0, wouldBlock: 0 };
    for (const g of caches) {
      const was = this.seen.get(g);
      const now = {
        mapCalls: g.counters.mapCalls,
        unmapCalls: g.counters.unmapCalls,
        wouldBlock: g.counters.wouldBlock,
      };
      out.mapCalls += now.mapCalls - (was?.mapCalls ?? 0);
      out.unmapCalls += now.unmapCalls - (was?.unmapCalls ?? 0);
      out.wouldBlock += now.wouldBlock - (was?.wouldBlock ?? 0);
      this.seen.set(g, now);
    }
    return out;
  }
}
