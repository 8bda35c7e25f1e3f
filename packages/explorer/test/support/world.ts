import { fileURLToPath } from 'node:url';
import { createDefaultRegistry } from '@khva/backends';
import type { Scenario } from '@khva/host/scenario';
import { loadScenarioFile } from '@khva/host/scenario/file';
import type { ScheduleRun } from '../../src/index.ts';

export const registry = createDefaultRegistry();

/** The backends DESIGN.md names (the registry may hold more, e.g. restore while it is built). */
export const designBackends = [
  'direct-map',
  'vmap',
  'memremap-strict',
  'memremap-relaxed',
  'mm-local',
  'ephmap',
];

export const explorerScenario = (name: string): string =>
  fileURLToPath(new URL(`../../scenarios/${name}.yaml`, import.meta.url));

export const pfncacheScenario = (name: string): string =>
  fileURLToPath(new URL(`../../../pfncache/scenarios/${name}.yaml`, import.meta.url));

export const load = (path: string): Scenario => loadScenarioFile(path);

export function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** What a finished schedule leaves behind: every op's result, the caches, the counters that matter. */
export function finalState(run: ScheduleRun): string {
  const w = run.world;
  const results = run.events
    .filter((e) => e.yieldKind === null)
    .map((e) => `${e.thread}:${e.op}=${String(e.result)}`);
  // By name: the order caches were created in is not state the model acts on.
  const caches = [...w.caches.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((g) => ({
      name: g.name,
      active: g.active,
      valid: g.valid,
      pfn: g.pfn,
      khva: g.khva,
      live: g.live.length,
      maps: g.counters.mapCalls,
      unmaps: g.counters.unmapCalls,
      retries: g.counters.retries,
    }));
  const vms = [...w.vms.values()].map((v) => [
    v.mmuInvalidateSeq,
    v.memslots.generation,
    v.activeInvalidateCount,
  ]);
  const m = w.kvm.machine;
  return JSON.stringify({
    results: results.sort(),
    caches,
    vms,
    oopses: m.oopses.length,
    uaf: m.oracle.figures().useAfterFreeAccesses,
  });
}
