import type { BackendRegistry } from '@khva/backend-api';
import type { Scenario, ScenarioStep } from '@khva/host/scenario';
import { defaultKernelOptions } from '@khva/kvm';
import type { GfnToPfnCache } from '@khva/pfncache';
import fc from 'fast-check';
import { buildCounterexample, type Counterexample } from './counterexample.ts';
import { ScheduleRun, type StepEvent, threadOps, type Violation } from './world.ts';

/**
 * A fuzz case: ops, each on one thread of the fuzz world, and a schedule. At each step the
 * enabled threads are ordered by the position of their current op in `ops`; schedule entry i
 * picks among them (modulo their number); past the end of the schedule the first is taken. So
 * an empty schedule runs the ops one after another in the order listed, and shrinking a
 * schedule toward zeros shrinks it toward that sequential order.
 */
export interface FuzzCase {
  readonly ops: readonly ScenarioStep[];
  readonly schedule: readonly number[];
}

export const FUZZ_GMEM_HVA = 0x7e0000000000;
export const FUZZ_ANON_HVA = 0x7f0000000000;
export const FUZZ_ANON2_HVA = 0x7f1000000000;
/** VMM memory outside every memslot (Xen's shared_info by hva may live there). */
export const FUZZ_OUTSIDE_HVA = 0x7d0000000000;

/** The fuzz world's kernel: RFC v3 as posted (the finding fixes off, but gpcMapMasksAnon as by default). */
export const FUZZ_KERNEL: Scenario['kernel'] = { ...defaultKernelOptions, series: 'rfc-v3' };

/** Backends that cannot serve a page absent from the direct map (their known finding, not the gpc's). */
export const DIRECT_MAP_ONLY_BACKENDS: readonly string[] = ['direct-map', 'memremap-strict'];

/**
 * The fuzz world: one VM with a guest_memfd slot (gmem-only, no-direct-map unless the backend
 * cannot take it), an anonymous slot that memslot changes move, a small anonymous slot that may
 * be deleted; two vCPUs, a VMM thread, another process and a hard IRQ on vCPU 1's CPU.
 */
export function fuzzScenario(
  backend: string,
  ops: readonly ScenarioStep[],
  noDirectMap = true,
  kernel: Partial<Scenario['kernel']> = {},
  freePageblocks?: number,
): Scenario {
  return {
    name: `fuzz (${backend})`,
    machine: freePageblocks === undefined ? { cpus: 4 } : { cpus: 4, freePageblocks },
    backend,
    kernel: { ...FUZZ_KERNEL, ...kernel },
    vms: [
      {
        name: 'vm0',
        memslots: [
          {
            slot: 0,
            gfn: 0,
            pages: 16,
            backing: 'gmem',
            flags: noDirectMap ? ['mmap', 'no-direct-map'] : ['mmap'],
            hva: FUZZ_GMEM_HVA,
            vmmMapped: false,
          },
          { slot: 1, gfn: 0x100, pages: 16, backing: 'anon', flags: [], hva: FUZZ_ANON_HVA },
          { slot: 2, gfn: 0x300, pages: 4, backing: 'anon', flags: [], hva: FUZZ_ANON2_HVA },
        ],
        mappings: [{ hva: FUZZ_OUTSIDE_HVA, pages: 1 }],
      },
    ],
    threads: [
      { name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 },
      { name: 'vcpu1', kind: 'vcpu', vm: 'vm0', cpu: 1 },
      { name: 'vmm', kind: 'host', vm: 'vm0', cpu: 2 },
      { name: 'other', kind: 'process', cpu: 3 },
      { name: 'irq1', kind: 'irq', cpu: 1 },
    ],
    steps: ops.length > 0 ? [...ops] : [{ thread: 'vcpu0', op: 'check', cache: 'pv', len: 8 }],
  };
}

const caches = fc.constantFrom('pv', 'sh');
const sleepers = fc.constantFrom('vcpu0', 'vcpu1', 'vmm');

/**
 * One op over the gpc API or an invalidation source: activate (gpa in the gmem slot, the
 * anonymous slot, where it moves to, or the deletable slot), activate by hva, check, refresh,
 * deactivate, use from a vCPU, the VMM, another process or a hard IRQ, munmap, page migration,
 * punch-hole, memslot move or delete, a vCPU moving to another CPU, a vmap/ephmap purge.
 */
export const fuzzOp: fc.Arbitrary<ScenarioStep> = fuzzOps(false);

/** fuzzOp, plus activate-hva and munmap of VMM memory in no memslot (FUZZ_OUTSIDE_HVA: R6's ground). */
export const fuzzOpOutsideMemslots: fc.Arbitrary<ScenarioStep> = fuzzOps(true);

function fuzzOps(outside: boolean): fc.Arbitrary<ScenarioStep> {
  const extra = outside ? [FUZZ_OUTSIDE_HVA] : [];
  const anonHvas = fc.constantFrom(FUZZ_ANON_HVA, FUZZ_ANON_HVA + 0x1000, FUZZ_ANON2_HVA, ...extra);
  return fc.oneof(
    fc.record({
      thread: sleepers,
      op: fc.constant('activate' as const),
      cache: caches,
      gpa: fc.constantFrom(0x1000, 0x2000, 0x100000, 0x101000, 0x200000, 0x300000),
      len: fc.constant(8),
    }),
    fc.record({
      thread: sleepers,
      op: fc.constant('activate-hva' as const),
      cache: caches,
      hva: fc.constantFrom(FUZZ_ANON_HVA, FUZZ_ANON_HVA + 0x1040, ...extra),
      len: fc.constant(8),
    }),
    fc.record({
      thread: sleepers,
      op: fc.constantFrom('refresh' as const, 'deactivate' as const),
      cache: caches,
      len: fc.constant(8),
    }),
    fc.record({
      thread: fc.constantFrom('vcpu0', 'vcpu1', 'vmm', 'irq1'),
      op: fc.constant('check' as const),
      cache: caches,
      len: fc.constant(8),
    }),
    fc.record({
      thread: fc.constantFrom('vcpu0', 'vcpu1', 'vmm', 'other', 'irq1'),
      op: fc.constant('use' as const),
      cache: caches,
      len: fc.constant(8),
    }),
    fc.record({
      thread: fc.constant('vmm'),
      op: fc.constantFrom('munmap' as const, 'migrate-page' as const),
      vm: fc.constant('vm0'),
      hva: anonHvas,
      pages: fc.constant(1),
    }),
    fc.record({
      thread: fc.constant('vmm'),
      op: fc.constant('punch-hole' as const),
      vm: fc.constant('vm0'),
      slot: fc.constant(0),
      page: fc.constantFrom(1, 2),
      pages: fc.constant(1),
    }),
    fc.record({
      thread: fc.constant('vmm'),
      op: fc.constant('set-memslot' as const),
      vm: fc.constant('vm0'),
      slot: fc.constant(1),
      gfn: fc.constantFrom(0x100, 0x200),
    }),
    fc.record({
      thread: fc.constant('vmm'),
      op: fc.constant('set-memslot' as const),
      vm: fc.constant('vm0'),
      slot: fc.constant(2),
      delete: fc.constant(true),
    }),
    fc.record({
      thread: fc.constantFrom('vcpu0', 'vcpu1'),
      op: fc.constant('run' as const),
      cpu: fc.integer({ min: 0, max: 3 }),
    }),
    fc.record({ thread: sleepers, op: fc.constant('purge' as const) }),
  );
}

/** Cases of up to maxOps ops and a schedule of up to 4 choices per op. */
export function fuzzCase(maxOps = 8, outsideMemslots = false): fc.Arbitrary<FuzzCase> {
  return fc.record({
    ops: fc.array(outsideMemslots ? fuzzOpOutsideMemslots : fuzzOp, { minLength: 1, maxLength: maxOps }),
    schedule: fc.array(fc.nat({ max: 7 }), { maxLength: maxOps * 4 }),
  });
}

export interface FuzzRunOptions {
  readonly registry: BackendRegistry;
  readonly backend: string;
  readonly gpcClass?: typeof GfnToPfnCache;
  /** Put the guest_memfd slot out of the direct map (default: unless the backend is direct-map only). */
  readonly noDirectMap?: boolean;
  /** Scheduler steps before the case counts as a livelock (default 5000). */
  readonly maxSteps?: number;
  /** Names of checks not to report (known findings, while they are being fixed). */
  readonly ignore?: readonly string[];
  /** Kernel switches over FUZZ_KERNEL (e.g. a finding's fix). */
  readonly kernel?: Partial<Scenario['kernel']>;
  /** Draw ops from fuzzOpOutsideMemslots (hva caches and munmaps outside every memslot too). */
  readonly outsideMemslots?: boolean;
  /** Free 2 MiB pageblocks the machine starts with (default: all memory; 1 = a host under memory pressure). */
  readonly freePageblocks?: number;
}

export interface FuzzRunResult {
  readonly scenario: Scenario;
  readonly events: readonly StepEvent[];
  readonly violations: readonly Violation[];
}

/** Run one case on a fresh world, every check after every step; stops at the first violation. */
export function runFuzzCase(c: FuzzCase, options: FuzzRunOptions, snapshots = true): FuzzRunResult {
  const noDirectMap = options.noDirectMap ?? !DIRECT_MAP_ONLY_BACKENDS.includes(options.backend);
  const scenario = fuzzScenario(options.backend, c.ops, noDirectMap, options.kernel, options.freePageblocks);
  const ops = threadOps(scenario);
  // Global position of each thread's k-th op in the case.
  const order = new Map<string, number[]>();
  scenario.steps.forEach((s, i) => {
    const list = order.get(s.thread) ?? [];
    list.push(i);
    order.set(s.thread, list);
  });
  const run = new ScheduleRun(
    scenario,
    ops,
    {
      registry: options.registry,
      ...(options.gpcClass ? { gpcClass: options.gpcClass } : {}),
      ...(options.ignore ? { ignore: options.ignore } : {}),
    },
    false,
    snapshots,
  );
  const maxSteps = options.maxSteps ?? 5000;
  let violations: Violation[] = [];
  for (let i = 0; violations.length === 0; i++) {
    const enabled = run.enabled();
    if (enabled.length === 0) {
      violations = run.endCheck();
      break;
    }
    if (i >= maxSteps) {
      violations = [{ name: 'livelock', kind: 'deadlock', detail: `no end after ${maxSteps} steps` }];
      break;
    }
    const rank = (t: string) => order.get(t)?.[run.position(t)] ?? Number.MAX_SAFE_INTEGER;
    enabled.sort((a, b) => rank(a) - rank(b));
    const pick = enabled[(c.schedule[i] ?? 0) % enabled.length]!;
    const { event } = run.step(pick);
    violations = run.check(event);
  }
  return { scenario, events: run.events, violations };
}

export interface FuzzOptions {
  readonly registry: BackendRegistry;
  /** Backends to fuzz (default: every one in the registry). */
  readonly backends?: readonly string[];
  readonly gpcClass?: typeof GfnToPfnCache;
  /** Cases per backend (default 100). */
  readonly numRuns?: number;
  readonly seed?: number;
  /** Ops per case at most (default 8). */
  readonly maxOps?: number;
  /** Names of checks not to report (known findings, while they are being fixed). */
  readonly ignore?: readonly string[];
  /** Kernel switches over FUZZ_KERNEL (e.g. a finding's fix). */
  readonly kernel?: Partial<Scenario['kernel']>;
  /** Draw ops from fuzzOpOutsideMemslots (hva caches and munmaps outside every memslot too). */
  readonly outsideMemslots?: boolean;
  /** Free 2 MiB pageblocks the machine starts with (default: all memory). */
  readonly freePageblocks?: number;
}

export interface FuzzReport {
  readonly backend: string;
  readonly numRuns: number;
  readonly failed: boolean;
  readonly wallMs: number;
  /** Seed and path fast-check prints to replay the failure. */
  readonly seed: number;
  readonly path?: string;
  /** The shrunk failing case, what it broke, and it as a replayable scenario. */
  readonly failure?: {
    readonly case: FuzzCase;
    readonly shrinks: number;
    readonly counterexample: Counterexample;
  };
}

/** The property for one backend: no case breaks any check. */
export function fuzzProperty(options: FuzzRunOptions, maxOps = 8): fc.IPropertyWithHooks<[FuzzCase]> {
  return fc.property(fuzzCase(maxOps, options.outsideMemslots), (c) => {
    const r = runFuzzCase(c, options, false);
    if (r.violations.length > 0) {
      const v = r.violations[0]!;
      throw new Error(`${v.name}${v.cache ? ` (${v.cache})` : ''}: ${v.detail}`);
    }
  });
}

/** Fuzz each backend with fast-check (seeded); a failure comes back shrunk, as a scenario too. */
export function fuzz(options: FuzzOptions): FuzzReport[] {
  const backends = options.backends ?? options.registry.names();
  const seed = options.seed ?? 1;
  const numRuns = options.numRuns ?? 100;
  return backends.map((backend) => {
    const t0 = performance.now();
    const runOptions = fuzzRunOptions(options, backend);
    const details = fc.check(fuzzProperty(runOptions, options.maxOps), { seed, numRuns });
    const wallMs = performance.now() - t0;
    const found = details.counterexample?.[0];
    if (!details.failed || !found) return { backend, numRuns: details.numRuns, failed: false, wallMs, seed };
    const r = runFuzzCase(found, runOptions);
    return {
      backend,
      numRuns: details.numRuns,
      failed: true,
      wallMs,
      seed,
      ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
      failure: {
        case: found,
        shrinks: details.numShrinks,
        counterexample: buildCounterexample(
          r.scenario,
          threadOps(r.scenario),
          r.events,
          r.violations,
          backend,
          'fast-check',
        ),
      },
    };
  });
}

function fuzzRunOptions(options: FuzzOptions, backend: string): FuzzRunOptions {
  return {
    registry: options.registry,
    backend,
    ...(options.gpcClass ? { gpcClass: options.gpcClass } : {}),
    ...(options.ignore ? { ignore: options.ignore } : {}),
    ...(options.kernel ? { kernel: options.kernel } : {}),
    ...(options.outsideMemslots ? { outsideMemslots: true } : {}),
    ...(options.freePageblocks === undefined ? {} : { freePageblocks: options.freePageblocks }),
  };
}

export interface FuzzFrequency {
  readonly backend: string;
  readonly numRuns: number;
  readonly seed: number;
  /** Cases whose first broken check was this one, by check name (cases that broke nothing are not counted). */
  readonly byViolation: Readonly<Record<string, number>>;
  /** The 0-based index of the first case that broke each check. */
  readonly firstCase: Readonly<Record<string, number>>;
}

/**
 * How often random op sequences break each check: `numRuns` cases drawn with the seed (the same
 * cases `fuzz` draws first), each run to its end or its first violation, none shrunk. A finding's
 * frequency under the model's kernel-like allocator.
 */
export function fuzzFrequency(options: FuzzOptions): FuzzFrequency[] {
  const backends = options.backends ?? options.registry.names();
  const seed = options.seed ?? 1;
  const numRuns = options.numRuns ?? 100;
  return backends.map((backend) => {
    const runOptions = fuzzRunOptions(options, backend);
    const cases = fc.sample(fuzzCase(options.maxOps, options.outsideMemslots), { seed, numRuns });
    const byViolation: Record<string, number> = {};
    const firstCase: Record<string, number> = {};
    cases.forEach((c, i) => {
      const v = runFuzzCase(c, runOptions, false).violations[0];
      if (!v) return;
      byViolation[v.name] = (byViolation[v.name] ?? 0) + 1;
      if (firstCase[v.name] === undefined) firstCase[v.name] = i;
    });
    return { backend, numRuns, seed, byViolation, firstCase };
  });
}
