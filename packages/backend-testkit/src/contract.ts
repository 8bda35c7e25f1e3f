import type {
  AccessResult,
  BackendFactory,
  BackendTraits,
  MappingBackend,
  MapResult,
} from '@khva/backend-api';
import type { KernelOptions } from '@khva/kvm';
import { PAGE_SIZE, type Pfn } from '@khva/memory-core';
import { checkInvariants, GfnToPfnCache, gpcUse, NULL_KHVA } from '@khva/pfncache';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  CONTEXT_LABELS,
  CONTEXTS,
  leftovers,
  type NoDirectMapExpectation,
  probe,
  probeAll,
  promisedUsable,
  traitFor,
} from './probe.ts';
import { createTestWorld, type TestWorld } from './world.ts';

/** What `extra` tests get: the world and backend of the running test (fresh for each test). */
export interface ContractContext {
  readonly world: TestWorld;
  readonly backend: MappingBackend;
}

export interface ContractOptions<O extends object = Record<string, unknown>> {
  readonly factory: BackendFactory<O>;
  /** Options passed to factory.create (default: the factory's defaults). */
  readonly options?: Partial<O>;
  /** Appended to the suite name, to tell two runs of one factory apart (e.g. 'skipAbsent'). */
  readonly label?: string;
  /** Online CPUs of the test world (default 4). */
  readonly cpus?: number;
  /** Kernel behaviour of the test world (default: RFC v2/v3 with every guard on). */
  readonly kernel?: Partial<KernelOptions>;
  /**
   * What map() gives a page absent from the direct map (default 'usable'). The traits cannot say
   * it, so a backend that hands out a dead address or refuses declares it here, in the open.
   */
  readonly noDirectMapPages?: NoDirectMapExpectation;
  /** The suites to run (default: every one that applies to the factory's traits). */
  readonly suites?: readonly ContractSuiteName[];
  /** Backend-specific tests, registered inside the suite (unstorage's additionalTests). */
  readonly extra?: (ctx: ContractContext) => void;
}

interface PageKind {
  readonly name: string;
  readonly pick: (w: TestWorld) => Pfn;
  readonly expect: NoDirectMapExpectation;
}

/**
 * The contract every mapping backend runs against itself, from its `test/contract.test.ts`:
 * `describeBackendContract({ factory: vmapBackend })`. Composed of suites (stable mapping, per-access,
 * gpc round, leaks) chosen from the factory's traits: a suite that does not apply is not registered
 * (naming one in `suites` is an error), and each test names the trait it checks in its title.
 */
export function describeBackendContract<O extends object>(opts: ContractOptions<O>): void {
  const { factory } = opts;
  const t = factory.traits;
  const stable = t.kind !== 'per-access';
  const perAccess = t.kind === 'per-access';
  const nodm = opts.noDirectMapPages ?? 'usable';
  const cpus = opts.cpus ?? 4;
  const traitTag =
    `[kind=${t.kind} usableFromIrq=${t.usableFromIrq} usableFromForeignMm=${t.usableFromForeignMm} ` +
    `mayRefuseRam=${t.mayRefuseRam} needsReachGuard=${t.needsReachGuard} lazyFlush=${t.lazyFlush}]`;
  const pages: readonly PageKind[] = [
    { name: 'no-direct-map gmem page', pick: (w) => w.gmemPfn(1), expect: nodm },
    { name: 'direct-mapped anon page', pick: (w) => w.anonPfn(1), expect: 'usable' },
  ];

  let current: ContractContext | null = null;
  const ctx: ContractContext = {
    get world() {
      if (!current) throw new Error('ContractContext.world is only available inside a test');
      return current.world;
    },
    get backend() {
      if (!current) throw new Error('ContractContext.backend is only available inside a test');
      return current.backend;
    },
  };

  describe(`backend contract: ${factory.name}${opts.label ? ` (${opts.label})` : ''} ${traitTag}`, () => {
    beforeEach(() => {
      const world = createTestWorld({ cpus, ...(opts.kernel ? { kernel: opts.kernel } : {}) });
      current = { world, backend: factory.create(world.machine, opts.options) };
    });

    it('create() returns a backend with the factory name and traits', () => {
      const { backend } = ctx;
      expect(backend.name).toBe(factory.name);
      expect(backend.traits).toEqual(factory.traits);
      expect(typeof backend.map).toBe('function');
      expect(typeof backend.unmap).toBe('function');
      expect(typeof backend.reachable).toBe('function');
      if (perAccess) expect(typeof backend.access).toBe('function');
    });

    it(`traits: a stable backend not usable from IRQ/foreign mm asks for the reach guard ${traitTag}`, () => {
      if (stable && !(t.usableFromIrq && t.usableFromForeignMm)) expect(t.needsReachGuard).toBe(true);
      if (nodm === 'refused')
        expect(t.mayRefuseRam, 'noDirectMapPages: refused needs mayRefuseRam').toBe(true);
    });

    for (const name of chooseSuites(factory.name, t, opts.suites)) {
      describe(name, () => SUITES[name]({ t, perAccess, pages, ctx }));
    }

    opts.extra?.(ctx);
  });
}

function describeExpect(e: NoDirectMapExpectation): string {
  switch (e) {
    case 'usable':
      return 'a page-aligned khva that translates to the pfn on the mapping CPU';
    case 'dead-address':
      return 'its direct-map alias, which translates nowhere';
    case 'refused':
      return '{ok:false, errno}, not an exception';
  }
}

function mapNoThrow(backend: MappingBackend, world: TestWorld, pfn: Pfn): MapResult {
  let r: MapResult | undefined;
  expect(() => {
    r = backend.map(world.mapContext('vcpu'), pfn);
  }, 'map() must report failure as a result, never throw').not.toThrow();
  if (!r) throw new Error('map() returned nothing');
  return r;
}

/** The suites of the contract, each registered only for a backend it applies to. */
export type ContractSuiteName = 'stable-mapping' | 'per-access' | 'gpc-round' | 'leaks';

/** Which suites apply to a backend with these traits (every one of them, by default, runs). */
export function applicableSuites(t: BackendTraits): ContractSuiteName[] {
  return t.kind === 'per-access'
    ? ['per-access', 'gpc-round', 'leaks']
    : ['stable-mapping', 'gpc-round', 'leaks'];
}

/** The suites to register: those asked for (each must apply) or, by default, every applicable one. */
export function chooseSuites(
  backend: string,
  t: BackendTraits,
  requested?: readonly ContractSuiteName[],
): ContractSuiteName[] {
  const applicable = applicableSuites(t);
  for (const name of requested ?? []) {
    if (!applicable.includes(name)) {
      throw new TypeError(
        `${backend}: contract suite "${name}" does not apply to kind=${t.kind} (applicable: ${applicable.join(', ')})`,
      );
    }
  }
  return [...(requested ?? applicable)];
}

/** What every suite reads: the factory's traits, the pages it maps, the running test's world and backend. */
interface SuiteContext {
  readonly t: BackendTraits;
  readonly perAccess: boolean;
  readonly pages: readonly PageKind[];
  readonly ctx: ContractContext;
}

// Stable backends (global, mm-local): map gives a khva the gpc caches; where it can be used from.
function stableMappingSuite({ t, pages, ctx }: SuiteContext): void {
  for (const page of pages) {
    it(
      `${page.name}: map gives ${describeExpect(page.expect)}; unmap + purge leaves nothing ` +
        `[kind=${t.kind} noDirectMapPages=${page.expect}]`,
      () => {
        const { world, backend } = ctx;
        const pfn = page.pick(world);
        const before = world.snapshot();
        const r = mapNoThrow(backend, world, pfn);
        if (page.expect === 'refused') {
          expect(r.ok).toBe(false);
          if (!r.ok) {
            expect(typeof r.errno).toBe('string');
            expect(typeof r.reason).toBe('string');
          }
          expect(leftovers(world, before, null, pfn)).toEqual([]);
          return;
        }
        expect(r.ok, r.ok ? '' : `map refused: ${r.errno} ${r.reason}`).toBe(true);
        if (!r.ok) return;
        const khva = r.khva;
        expect(khva % PAGE_SIZE).toBe(0);
        const cpu = world.threads.vcpu.cpu;
        if (page.expect === 'usable') {
          const tr = world.machine.translate(cpu, khva);
          expect(tr?.pfn).toBe(pfn);
          expect(tr?.stale).toBe(false);
        } else {
          // The direct-map alias of a page that is not in the direct map.
          expect(khva).toBe(world.machine.pageAddress(pfn));
          for (const c of world.machine.cpus) expect(world.machine.translate(c, khva)).toBeNull();
        }
        backend.unmap(world.mapContext('vcpu'), khva, pfn);
        backend.purge?.(cpu);
        expect(leftovers(world, before, khva, pfn)).toEqual([]);
        expect(world.machine.oopses.length).toBe(before.oopses);
      },
    );

    for (const c of CONTEXTS) {
      const promised = page.expect === 'usable' && promisedUsable(t, c);
      // A direct-mapped page may get its direct-map alias (vmap, mm-local do): that address is the
      // direct map's, reachable everywhere, whatever the backend's own mappings could reach.
      const aliasOk = !promised && page.expect === 'usable';
      const why = page.expect === 'usable' ? traitFor(t, c) : `noDirectMapPages=${page.expect}`;
      const outcome = promised
        ? 'is usable'
        : aliasOk
          ? 'fails (oops or no translation) unless map() gave the direct-map alias'
          : 'fails (oops or no translation)';
      if (page.expect !== 'refused')
        it(`${page.name}: khva ${outcome} from ${CONTEXT_LABELS[c]}, and reachable() agrees [${why}]`, () => {
          const { world, backend } = ctx;
          const pfn = page.pick(world);
          const r = mapNoThrow(backend, world, pfn);
          if (!r.ok) throw new Error(`map refused: ${r.errno} ${r.reason}`);
          const m = world.machine;
          const alias = r.khva === m.pageAddress(pfn) && m.directMap.isPresent(pfn);
          const usable = promised || (aliasOk && alias);
          const p = probe(world, backend, r.khva, pfn, c);
          expect(p.usable, `access from ${c}: ${JSON.stringify(p.outcome)}`).toBe(usable);
          expect(p.reachable, `reachable() from ${c}`).toBe(p.usable);
          if (usable) {
            expect(p.oopses).toBe(0);
          } else if (!p.outcome.ok) {
            // A kernel address without a translation: an oops in every context, recorded.
            expect(p.outcome.kind).toBe('oops');
            expect(p.oopses).toBe(1);
          }
          backend.unmap(world.mapContext('vcpu'), r.khva, pfn);
          backend.purge?.(world.threads.vcpu.cpu);
        });
    }
  }
}

// Per-access backends: access() from each context, the reach guard's answer.
function perAccessSuite({ t, ctx }: SuiteContext): void {
  it(`per-access: access() from a hard IRQ answers {ok:false} and never oopses [usableFromIrq=${t.usableFromIrq}]`, () => {
    const { world, backend } = ctx;
    const pfn = world.gmemPfn(1);
    backend.prepare?.(world.mapContext('vcpu'));
    const before = world.snapshot();
    const irq = world.enter('irq');
    expect(backend.reachable(irq, world.vm, NULL_KHVA), 'reachable() from IRQ').toBe(false);
    const r = backend.access?.(irq, world.vm, { pfn, offset: 0, bytes: 8, op: 'read' });
    expect(r?.ok).toBe(false);
    if (r && !r.ok) expect(r.reason.length).toBeGreaterThan(0);
    expect(world.snapshot().oopses).toBe(before.oopses);
  });

  it(`per-access: access() from an unrelated process ${t.usableFromForeignMm ? 'works' : 'answers {ok:false}'}; no context throws or oopses; reachable() agrees [usableFromForeignMm=${t.usableFromForeignMm}]`, () => {
    const { world, backend } = ctx;
    const pfn = world.gmemPfn(1);
    backend.prepare?.(world.mapContext('vcpu'));
    const before = world.snapshot();
    const r = backend.access?.(world.enter('other'), world.vm, { pfn, offset: 0, bytes: 8, op: 'read' });
    expect(r?.ok === true && r.outcome.ok).toBe(t.usableFromForeignMm);
    for (const c of CONTEXTS) {
      const cx = world.enter(c);
      let res: AccessResult | undefined;
      expect(() => {
        res = backend.access?.(cx, world.vm, { pfn, offset: 0, bytes: 8, op: 'read' });
      }).not.toThrow();
      const worked = res?.ok === true && res.outcome.ok;
      // The gpc's reach guard asks reachable(ctx, vm, NULL) before it calls access().
      if (t.needsReachGuard)
        expect(backend.reachable(cx, world.vm, NULL_KHVA), `reachable() from ${c}`).toBe(worked);
    }
    expect(world.snapshot().oopses).toBe(before.oopses);
  });
}

// Nothing a backend maps outlives its unmap (PTEs, VA, exposure, stale TLB entries).
function leaksSuite(s: SuiteContext): void {
  const { t, pages, ctx } = s;
  if (s.perAccess) {
    it(`per-access: access() from the vCPU thread writes and reads the page and leaves no PTE or VA [kind=${t.kind}]`, () => {
      const { world, backend } = ctx;
      const access = backend.access;
      if (!access) throw new Error('per-access backend without access()');
      const pfn = world.gmemPfn(1);
      backend.prepare?.(world.mapContext('vcpu'));
      const before = world.snapshot();
      const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
      if (t.needsReachGuard) expect(backend.reachable(world.enter('vcpu'), world.vm, NULL_KHVA)).toBe(true);
      const w = access.call(backend, world.enter('vcpu'), world.vm, {
        pfn,
        offset: 16,
        bytes: 8,
        op: 'write',
        data,
      });
      expect(w.ok && w.outcome.ok && w.outcome.pfn === pfn, JSON.stringify(w)).toBe(true);
      const rd = access.call(backend, world.enter('vcpu'), world.vm, {
        pfn,
        offset: 16,
        bytes: 8,
        op: 'read',
      });
      expect(rd.ok && rd.outcome.ok ? [...(rd.outcome.data ?? [])] : null).toEqual([...data]);
      expect(world.machine.reachability(pfn).ptes).toEqual([]);
      const now = world.snapshot();
      expect(now.vaBytes).toBe(before.vaBytes);
      expect(now.kernelPtes).toBe(before.kernelPtes);
      expect(now.localPtes).toBe(before.localPtes);
      expect(now.oopses).toBe(before.oopses);
    });

    return;
  }
  for (const page of pages) {
    if (page.expect !== 'refused')
      it(
        `${page.name}: after use from every context, unmap ${t.lazyFlush ? '+ purge' : '(no purge: lazyFlush=false)'} ` +
          `leaves no PTE, VA, exposure or stale TLB entry [lazyFlush=${t.lazyFlush}]`,
        () => {
          const { world, backend } = ctx;
          const pfn = page.pick(world);
          const before = world.snapshot();
          const r = mapNoThrow(backend, world, pfn);
          if (!r.ok) throw new Error(`map refused: ${r.errno} ${r.reason}`);
          probeAll(world, backend, r.khva, pfn);
          const oopses = world.machine.oopses.length;
          backend.unmap(world.mapContext('vcpu'), r.khva, pfn);
          if (t.lazyFlush) backend.purge?.(world.threads.vcpu.cpu);
          const left = leftovers(world, { ...before, oopses }, r.khva, pfn);
          expect(left).toEqual([]);
        },
      );
  }
  it(`mayRefuseRam=${t.mayRefuseRam}: map never throws; ${t.mayRefuseRam ? 'a refusal is {ok:false, errno} and leaks nothing' : 'every RAM page maps'}`, () => {
    const { world, backend } = ctx;
    const pfns = [0, 2, 3].flatMap((i) => [world.gmemPfn(i), world.anonPfn(i)]);
    const before = world.snapshot();
    const mapped: Array<{ khva: number; pfn: Pfn }> = [];
    for (const pfn of pfns) {
      const r = mapNoThrow(backend, world, pfn);
      if (r.ok) {
        mapped.push({ khva: r.khva, pfn });
      } else {
        expect(t.mayRefuseRam, `pfn ${pfn} refused (${r.errno}) by a backend with mayRefuseRam=false`).toBe(
          true,
        );
        expect(typeof r.errno).toBe('string');
        expect(r.reason.length).toBeGreaterThan(0);
      }
    }
    if (!t.mayRefuseRam) expect(mapped.length).toBe(pfns.length);
    for (const m of mapped) backend.unmap(world.mapContext('vcpu'), m.khva, m.pfn);
    backend.purge?.(world.threads.vcpu.cpu);
    for (const pfn of pfns) expect(leftovers(world, before, null, pfn)).toEqual([]);
  });
}

// The gpc itself on top of the backend: activate, use, deactivate; counters balance.
function gpcRoundSuite({ t, perAccess, pages, ctx }: SuiteContext): void {
  for (const page of pages) {
    const slot = page.name.startsWith('no-direct-map') ? 'gmem' : 'anon';
    it(
      `gpc round on the ${slot} slot: activate, gpcUse write from the vCPU, deactivate; mapCalls === unmapCalls, ` +
        `live empty, nothing left [kind=${t.kind} noDirectMapPages=${page.expect}${perAccess ? ', VA kept by prepare() not counted' : ''}]`,
      () => {
        const { world, backend } = ctx;
        const vcpu = world.threads.vcpu;
        const gpa = slot === 'gmem' ? world.gmemGpa(2, 0x40) : world.anonGpa(2, 0x40);
        const gpc = new GfnToPfnCache(world.vm, backend, `contract-${slot}`);
        const before = world.snapshot();
        const res = world.run(vcpu, gpc.activate(vcpu, gpa, 8));
        // A per-access backend's prepare() may reserve VA for the VM for good (no teardown hook).
        const baseline = perAccess ? { ...before, vaBytes: world.snapshot().vaBytes } : before;
        if (page.expect === 'refused') {
          expect(res).toBe('EFAULT');
          expect(gpc.valid).toBe(false);
        } else {
          expect(res).toBe(0);
          expect(gpc.valid).toBe(true);
          const data = Uint8Array.from([0xc1, 0x0c, 0x4b, 0x1d, 0, 0, 0, 7]);
          const use = world.run(vcpu, gpcUse(vcpu, gpc, { len: 8, op: 'write', data }));
          expect(use.result).toBe(0);
          if (page.expect === 'usable') {
            expect(use.access?.ok, JSON.stringify(use.access)).toBe(true);
            const frame = world.machine.mem.get(gpc.pfn);
            expect([...(frame?.bytes?.slice(0x40, 0x48) ?? [])]).toEqual([...data]);
          } else {
            expect(use.access?.ok).toBe(false);
            expect(world.machine.oopses.length).toBe(before.oopses + 1);
          }
        }
        // A dead khva is what the model's own invariant flags; nothing else may fire.
        const broken = page.expect === 'dead-address' ? ['valid-khva-translates'] : [];
        expect(checkInvariants([gpc]).map((v) => v.invariant)).toEqual(broken);
        const pfn = gpc.pfn;
        world.run(vcpu, gpc.deactivate(vcpu));
        backend.purge?.(vcpu.cpu);
        expect(gpc.active).toBe(false);
        expect(gpc.counters.mapCalls).toBe(gpc.counters.unmapCalls + gpc.counters.mapFailures);
        if (page.expect !== 'refused') expect(gpc.counters.mapCalls).toBe(gpc.counters.unmapCalls);
        expect(gpc.live).toEqual([]);
        expect(checkInvariants([gpc])).toEqual([]);
        if (pfn >= 0) expect(leftovers(world, baseline, null, pfn)).toEqual([]);
        const now = world.snapshot();
        expect(now.vmallocBytes).toBe(before.vmallocBytes);
        expect(now.exposedNow).toBe(before.exposedNow);
        expect(now.staleNow).toBe(0);
      },
    );
  }
}

const SUITES: Readonly<Record<ContractSuiteName, (s: SuiteContext) => void>> = {
  'stable-mapping': stableMappingSuite,
  'per-access': perAccessSuite,
  'gpc-round': gpcRoundSuite,
  leaks: leaksSuite,
};
