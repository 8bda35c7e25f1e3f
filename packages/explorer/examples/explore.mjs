// Explore every interleaving of a refresh and a page migration, on the real gfn_to_pfn_cache and
// on a copy whose retry loop ignores the invalidation sequence. Run: node examples/explore.mjs
import { fileURLToPath } from 'node:url';
import { createDefaultRegistry } from '@khva/backends';
import { explore } from '@khva/explorer';
import { loadScenarioFile } from '@khva/host/scenario/file';
import { GfnToPfnCache } from '@khva/pfncache';

const registry = createDefaultRegistry();
const scenario = loadScenarioFile(
  fileURLToPath(new URL('../scenarios/refresh-vs-invalidation.yaml', import.meta.url)),
);

for (const reduction of [false, true]) {
  const r = explore(scenario, { registry, reduction });
  console.log(
    `real gpc, reduction ${reduction ? 'on ' : 'off'}: ${r.explored} schedules (${r.pruned} branches pruned), ` +
      `exhaustive ${r.exhaustive}, ${r.counterexample ? 'VIOLATION' : 'no violation'}`,
  );
}

class NoRetry extends GfnToPfnCache {
  gpcInvalidateRetry() {
    return false;
  }
}
const r = explore(scenario, { registry, gpcClass: NoRetry });
console.log(
  `retry check removed: counterexample of ${r.counterexample.events.length} steps after ${r.explored} schedules`,
);
console.log(r.counterexample.trace);
