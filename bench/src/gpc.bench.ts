import { builtinBackendNames, createDefaultRegistry } from '@khva/backends';
import type { WorkloadRunContext } from '@khva/workloads';
import { ANON_GFN, Harness, PV_GFN } from '@khva/workloads';
import { type BenchTask, mapDataViewBaseline, type SuiteDefinition } from './harness.ts';

const fail = (task: string, what: string): never => {
  throw new Error(`${task}: ${what}`);
};

/** sizeof(struct pvclock_vcpu_time_info): what the cache covers. */
const LEN = 32;

const context = (backend: string): WorkloadRunContext => ({
  seed: 1,
  machine: { cpus: 4, tlbEntries: 1536, ghz: 2.7, memGiB: 64 },
  kernel: { gmemInvalidation: true, flushOnZap: true, reachGuard: true },
  calibration: {},
  backend: createDefaultRegistry().get(backend),
  onProgress() {},
});

/**
 * One VM with one vCPU and a pvclock-like cache activated by that vCPU, on a guest_memfd page removed from
 * the direct map; or, for a backend whose khva of such a page oopses (direct-map, today's memremap), on
 * ordinary VMM memory still in the direct map, which is the only place that backend has a hot path.
 */
function world(backend: string) {
  const h = new Harness(context(backend));
  const guest = h.createGuest({ pvPages: 1, secretPages: 0, anonPages: 1 }, 1);
  const t = guest.vcpus[0]!;
  const data = new Uint8Array(8);
  const attempt = (gfn: number) => {
    const gpc = h.newCache(t, guest.vm, `${backend}.pv_time.${gfn}`, h.gpaOf(gfn), LEN);
    h.enter(t);
    const first = gpc.check(LEN, t.ctx) ? gpc.access(t.ctx, 0, 8, 'write', data) : undefined;
    return { gpc, ok: first?.ok === true };
  };
  let memory = 'guest_memfd, NO_DIRECT_MAP';
  let { gpc, ok } = attempt(PV_GFN);
  if (!ok) {
    memory = 'anon, in the direct map';
    ({ gpc, ok } = attempt(ANON_GFN));
    if (!ok) fail(backend, 'no memory this backend can write through');
  }
  return { h, gpc, ctx: t.ctx, data, memory };
}

/**
 * gpc check + 8-byte write through the khva, the kernel's hot path (kvm_gpc_check() then a store to
 * gpc->khva), by a vCPU thread whose CPU already caches the translation. A per-access backend (ephmap)
 * has no cached khva: its "write through the khva" maps, writes and unmaps each time.
 */
function hotPath(backend: string): BenchTask {
  const { h, gpc, ctx, data, memory } = world(backend);
  const perAccess = gpc.backend.traits.kind === 'per-access';
  const name = `gpc check + 8-byte write: ${backend} (${memory})`;
  const batch = (n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      if (!gpc.check(LEN, ctx)) fail(name, 'check failed');
      const r = gpc.access(ctx, (i & 3) << 3, 8, 'write', data);
      if (r.ok) s++;
    }
    return s;
  };
  return {
    name,
    batch,
    setup: () => void gpc.access(ctx, 0, 8, 'read'),
    validate() {
      const oopses = h.machine.ledger.counters.oopses;
      if (!gpc.check(LEN, ctx)) fail(name, 'check failed');
      const r = gpc.access(ctx, 8, 8, 'write', Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      if (!r.ok) return fail(name, `write failed: ${JSON.stringify(r)}`);
      if (!perAccess && !r.tlbHit) fail(name, 'expected a TLB hit');
      if (r.stale || r.useAfterFree) fail(name, `expected a live translation, got ${JSON.stringify(r)}`);
      if (batch(8) !== 8 || h.machine.ledger.counters.oopses !== oopses) fail(name, 'writes failed');
    },
  };
}

/** The end-to-end hot path per backend, against a Map lookup + DataView write. */
export const gpcSuite: SuiteDefinition = {
  name: 'gpc',
  baseline: mapDataViewBaseline(),
  tasks: builtinBackendNames.map(hotPath),
};
