// The numbers tell the truth of the model: qualitative outcomes that follow from the kernel's behaviour,
// asserted as relations between runs (and the backends' own traits), never as hard-coded figures.
// Small sizes, in-process: each run takes milliseconds.
import { createDefaultRegistry } from '@khva/backends';
import { Calibration, PAGE_SIZE } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import {
  gmemChurn,
  type KernelOptions,
  kvmclock,
  vmChurn,
  type WorkloadDefinition,
  type WorkloadParamsSchema,
  type WorkloadResult,
  type WorkloadRunContext,
  xenEvtchn,
} from '../src/index.ts';

const GHZ = 2.7;

interface RunOptions {
  cpus?: number;
  kernel?: Partial<KernelOptions>;
  backendOptions?: Record<string, unknown>;
}

function context(backend: string, o: RunOptions = {}): WorkloadRunContext {
  return {
    seed: 7,
    machine: { cpus: o.cpus ?? 4, tlbEntries: 1536, ghz: GHZ, memGiB: 64 },
    kernel: { gmemInvalidation: true, flushOnZap: true, reachGuard: true, ...o.kernel },
    calibration: {},
    backend: createDefaultRegistry().get(backend),
    ...(o.backendOptions === undefined ? {} : { backendOptions: o.backendOptions }),
    onProgress() {},
  };
}

function run<S extends WorkloadParamsSchema>(
  workload: WorkloadDefinition<S>,
  backend: string,
  params: Record<string, unknown>,
  o: RunOptions = {},
): WorkloadResult {
  return workload.run(workload.params.parse(params), context(backend, o));
}

const traits = (backend: string) => createDefaultRegistry().get(backend).traits;

/** Simulated nanoseconds between two runs that differ only in length (one global clock: cycles / GHz). */
const elapsedNs = (short: WorkloadResult, long: WorkloadResult) =>
  (long.cost.cycles - short.cost.cycles) / GHZ;

describe('NO_DIRECT_MAP memory (kvmclock)', () => {
  const clock = { vms: 1, vcpusPerVm: 2, updates: 200 };

  it('direct-map oopses on every access, through page_address() of a page the direct map no longer has', () => {
    const r = run(kvmclock, 'direct-map', clock);
    expect(r.ops).toBeGreaterThan(0);
    expect(r.safety.oopses).toBe(r.ops);
    expect(r.cost.mapFailures).toBe(0);
  });

  it.each(['vmap', 'memremap-relaxed', 'mm-local', 'ephmap'])('%s maps it and never oopses', (backend) => {
    const r = run(kvmclock, backend, clock);
    expect(r.safety.oopses).toBe(0);
    expect(r.cost.mapFailures).toBe(0);
  });

  it("memremap-strict (today's memremap) hands out the dead direct-map address; skipAbsent refuses to map instead", () => {
    const dead = run(kvmclock, 'memremap-strict', clock);
    expect(dead.cost.mapFailures).toBe(0);
    expect(dead.safety.oopses).toBe(dead.ops);

    expect(traits('memremap-strict').mayRefuseRam).toBe(true);
    const refused = run(kvmclock, 'memremap-strict', clock, { backendOptions: { skipAbsent: true } });
    expect(refused.safety.oopses).toBe(0);
    expect(refused.cost.mapFailures).toBeGreaterThan(0);
    // Every map is refused, and every use tries again (the cache never becomes valid).
    expect(refused.cost.mapFailures).toBe(refused.cost.mapCalls);
    expect(refused.cost.mapCalls).toBeGreaterThanOrEqual(refused.ops);
  });

  it('is deterministic for a seed', () => {
    expect(run(kvmclock, 'vmap', clock)).toEqual(run(kvmclock, 'vmap', clock));
  });
});

describe('vmap pays global TLB flushes with IPIs to every other CPU', () => {
  it("kvmclock: vmap's flushes beyond direct-map's each interrupt every other CPU; mm-local adds no global flush", () => {
    const cpus = 4;
    const clock = { vms: 1, vcpusPerVm: 4, updates: 500 };
    const dm = run(kvmclock, 'direct-map', clock, { cpus });
    const vmap = run(kvmclock, 'vmap', clock, { cpus });
    const mmLocal = run(kvmclock, 'mm-local', clock, { cpus });
    const extra = vmap.cost.tlbFlushesGlobal - dm.cost.tlbFlushesGlobal;
    expect(extra).toBeGreaterThan(0);
    expect(vmap.cost.ipis - dm.cost.ipis).toBe((cpus - 1) * extra);
    expect(mmLocal.cost.tlbFlushesGlobal).toBe(dm.cost.tlbFlushesGlobal);
  });

  it('vm-churn: passing lazy_max_pages forces purges during the run, each a flush_tlb_kernel_range to every CPU', () => {
    const cpus = 3;
    // mm/vmalloc.c: lazy_max_pages() = fls(num_online_cpus()) * (32 MiB / PAGE_SIZE).
    const lazyMaxPages = Math.floor(Math.log2(cpus) + 1) * ((32 << 20) / PAGE_SIZE);
    const vcpusPerVm = 64;
    // Each vmap area is the page and its guard page.
    const vmsFor = (areas: number) => Math.ceil(areas / vcpusPerVm);
    const churn = (vms: number) => ({ vms, vcpusPerVm, updatesPerVcpu: 1, secretPages: 0 });
    const below = churn(vmsFor(lazyMaxPages / 2 / 2));
    const above = churn(vmsFor(lazyMaxPages / 2 + 1) + 1);
    expect(above.vms * vcpusPerVm * 2).toBeGreaterThan(lazyMaxPages);

    const extraFlushes = (params: Record<string, unknown>) => {
      const dm = run(vmChurn, 'direct-map', params, { cpus });
      const vmap = run(vmChurn, 'vmap', params, { cpus });
      const extra = vmap.cost.tlbFlushesGlobal - dm.cost.tlbFlushesGlobal;
      expect(vmap.cost.ipis - dm.cost.ipis).toBe((cpus - 1) * extra);
      return extra;
    };
    expect(extraFlushes(above)).toBeGreaterThan(extraFlushes(below));
  });
});

describe('who can reach the guest page (exposure)', () => {
  const k = 4;
  const clock = (updates: number) => ({ vms: 1, vcpusPerVm: k, updates, migrateEvery: 0 });

  it('vmap leaves the cache pages reachable from every mm; mm-local and ephmap only from the VM', () => {
    const dm = run(kvmclock, 'direct-map', clock(2000));
    const vmap = run(kvmclock, 'vmap', clock(2000));
    expect(vmap.safety.foreignExposurePageNs).toBe(vmap.safety.exposurePageNs);
    expect(vmap.safety.foreignExposurePageNs).toBeGreaterThan(dm.safety.foreignExposurePageNs);
    for (const backend of ['mm-local', 'ephmap']) {
      const local = run(kvmclock, backend, clock(2000));
      // The direct-map baseline (guest pages before their removal) is all another mm can reach.
      expect(local.safety.foreignExposurePageNs, backend).toBe(dm.safety.foreignExposurePageNs);
      expect(local.safety.exposurePageNs, backend).toBeGreaterThan(local.safety.foreignExposurePageNs);
    }
  });

  it("vmap's foreign exposure grows by (caches x time) for as long as the guest runs; direct-map's and mm-local's do not", () => {
    const twice = (backend: string) =>
      [run(kvmclock, backend, clock(2000)), run(kvmclock, backend, clock(4000))] as const;
    const [dmShort, dmLong] = twice('direct-map');
    expect(dmLong.safety.foreignExposurePageNs).toBe(dmShort.safety.foreignExposurePageNs);

    const [vShort, vLong] = twice('vmap');
    const vGrowth = vLong.safety.foreignExposurePageNs - vShort.safety.foreignExposurePageNs;
    expect(Math.abs(vGrowth - k * elapsedNs(vShort, vLong))).toBeLessThanOrEqual(1); // report rounds to 1 page-ns
    // So the ratio to the direct-map baseline grows without bound with the length of the run.
    expect(vLong.safety.foreignExposurePageNs / dmLong.safety.foreignExposurePageNs).toBeGreaterThan(
      vShort.safety.foreignExposurePageNs / dmShort.safety.foreignExposurePageNs,
    );

    const [mShort, mLong] = twice('mm-local');
    expect(mLong.safety.foreignExposurePageNs).toBe(mShort.safety.foreignExposurePageNs);
    const mGrowth = mLong.safety.exposurePageNs - mShort.safety.exposurePageNs;
    expect(Math.abs(mGrowth - k * elapsedNs(mShort, mLong))).toBeLessThanOrEqual(1);
  });
});

describe('Xen event delivery from hard-IRQ context (xen-evtchn)', () => {
  const xen = { vms: 1, vcpusPerVm: 2, events: 500, otherProcesses: 2 };

  it('vmap delivers every event on the fast path', () => {
    const r = run(xenEvtchn, 'vmap', xen);
    expect(r.cost.wouldBlock).toBe(0);
    expect(r.safety.oopses).toBe(0);
  });

  it.each(['mm-local', 'ephmap'])(
    '%s cannot serve an IRQ that lands on another mm: the check fails, the event takes the slow path, no oops',
    (backend) => {
      const t = traits(backend);
      expect(t.usableFromIrq || t.usableFromForeignMm).toBe(false);
      const r = run(xenEvtchn, backend, xen);
      expect(r.safety.oopses).toBe(0);
      expect(r.cost.wouldBlock).toBeGreaterThan(0);
      expect(r.notes).toContain(`${r.cost.wouldBlock} events delivered by the slow path`);
      if (t.kind === 'per-access') {
        // ephmap maps in task context only: no IRQ delivery is ever fast.
        expect(r.cost.wouldBlock).toBe(xen.events);
      } else {
        // mm-local works where the IRQ lands on a CPU that runs the VM's own mm.
        expect(r.cost.wouldBlock).toBeLessThan(xen.events);
      }
    },
  );

  it('with kernel.reachGuard off, mm-local oopses instead (the naive integration)', () => {
    const r = run(xenEvtchn, 'mm-local', xen, { kernel: { reachGuard: false } });
    expect(r.safety.oopses).toBeGreaterThan(0);
    expect(r.cost.wouldBlock).toBe(0);
  });
});

describe("vmalloc space vmap uses, against the seed series' cover letter", () => {
  // Each vmap() of one page takes the page plus a guard page of vmalloc VA.
  const perCache = 2 * PAGE_SIZE;

  it.each([16, 64, 256])('kvmclock with 1 VM and %i vCPUs: vaBytesPeak = caches x 8 KiB', (k) => {
    const r = run(kvmclock, 'vmap', { vms: 1, vcpusPerVm: k, updates: 16, secretPages: 0 });
    expect(perCache).toBe(8 * 1024);
    expect(r.cost.vaBytesPeak).toBe(k * perCache);
  });

  it('1024 caches take 8 MiB: twice the 4 MiB the cover letter estimates, which counts only the mapped page', () => {
    const r = run(kvmclock, 'vmap', { vms: 4, vcpusPerVm: 256, updates: 16, secretPages: 0 });
    const coverLetterEstimate = 1024 * PAGE_SIZE; // 4 MiB: one mapped page per cache, no guard page
    expect(r.cost.vaBytesPeak).toBe(8 * 1024 * 1024);
    expect(r.cost.vaBytesPeak).toBe(2 * coverLetterEstimate);
  });
});

describe('kernel variants', () => {
  const churn = { vms: 1, vcpusPerVm: 2, punches: 300 };

  it('gmemInvalidation off (seed RFC v1): punch-hole never reaches the gpc, which writes into freed pages', () => {
    const v1 = run(gmemChurn, 'vmap', churn, { kernel: { gmemInvalidation: false } });
    const v3 = run(gmemChurn, 'vmap', churn, { kernel: { gmemInvalidation: true } });
    expect(v1.safety.useAfterFreeAccesses).toBeGreaterThan(0);
    expect(v3.safety.useAfterFreeAccesses).toBe(0);
  });

  it('flushOnZap off (a deployed variant): direct-map translations outlive the zap; upstream only while its shootdown runs', () => {
    const clock = { vms: 1, vcpusPerVm: 2, updates: 200 };
    const cpus = 4;
    const flushed = run(kvmclock, 'direct-map', clock, { cpus, kernel: { flushOnZap: true } });
    const unflushed = run(kvmclock, 'direct-map', clock, { cpus, kernel: { flushOnZap: false } });

    expect(unflushed.safety.staleTranslationNs).toBeGreaterThan(0);
    expect(unflushed.cost.tlbFlushesGlobal).toBe(0);
    expect(unflushed.safety.foreignExposurePageNs).toBeGreaterThan(flushed.safety.foreignExposurePageNs);

    // Upstream: every zap is followed by flush_tlb_kernel_range (direct-map itself never flushes), so an
    // entry left by clear_highpage is stale only until the shootdown reaches its CPU: at most one invlpg
    // per online CPU per zap. (The in-flight window is real, so it is not zero.)
    const zaps = flushed.cost.tlbFlushesGlobal;
    const shootdownNs = (cpus * new Calibration().get('invlpg')) / GHZ;
    expect(zaps).toBeGreaterThan(0);
    expect(flushed.safety.staleTranslationNs).toBeLessThanOrEqual(Math.ceil(zaps * shootdownNs));
    expect(flushed.safety.staleTranslationNs).toBeLessThan(unflushed.safety.staleTranslationNs);
  });
});
