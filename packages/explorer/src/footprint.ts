import type { MappingBackend } from '@khva/backend-api';
import type { ScenarioWorld } from '@khva/host/scenario';
import type { GuestMemfd, Memslots, Vm, VmmMemory } from '@khva/kvm';
import type {
  Cpu,
  DirectMap,
  Machine,
  Mm,
  Mutex,
  PageTable,
  PhysicalMemory,
  RwLock,
  VaRange,
} from '@khva/memory-core';
import { FREE } from '@khva/memory-core';
import type { GfnToPfnCache } from '@khva/pfncache';

/**
 * What one scheduler step touched: the keys of the objects it read and wrote. Two steps of
 * different threads are independent when neither writes what the other reads or writes.
 */
export interface Footprint {
  readonly reads: ReadonlySet<string>;
  readonly writes: ReadonlySet<string>;
}

/** Keys ending in `:*` stand for every key with that prefix (e.g. `frame:*`: every frame). */
function overlaps(key: string, set: ReadonlySet<string>): boolean {
  if (set.has(key)) return true;
  const colon = key.lastIndexOf(':');
  if (colon < 0) return false;
  const prefix = key.slice(0, colon + 1);
  if (set.has(`${prefix}*`)) return true;
  if (key.endsWith(':*')) {
    for (const k of set) if (k.startsWith(prefix)) return true;
  }
  return false;
}

/** Do two steps conflict (one writes an object the other reads or writes)? */
export function dependent(a: Footprint, b: Footprint): boolean {
  for (const k of a.writes) if (overlaps(k, b.writes) || overlaps(k, b.reads)) return true;
  for (const k of b.writes) if (overlaps(k, a.reads)) return true;
  return false;
}

/** Collects the footprint of the step being run; silent between steps and inside leaf methods. */
export class Recorder {
  private reads: Set<string> | null = null;
  private writes: Set<string> | null = null;
  private suspended = 0;
  /**
   * Fields instrumented without a rule of their own (`<key>.<field>`): each got the safe default, but
   * a modelled field the explorer does not know about is a gap its tests refuse.
   */
  readonly unruled = new Set<string>();

  begin(): void {
    this.reads = new Set();
    this.writes = new Set();
    this.suspended = 0;
  }

  end(): Footprint {
    const fp = { reads: this.reads ?? new Set<string>(), writes: this.writes ?? new Set<string>() };
    this.reads = null;
    this.writes = null;
    return fp;
  }

  get active(): boolean {
    return this.reads !== null && this.suspended === 0;
  }

  touch(key: string, write: boolean): void {
    if (this.reads === null || this.suspended > 0) return;
    if (write) this.writes!.add(key);
    else this.reads.add(key);
  }

  /** Run fn without recording (inside a leaf method whose effect is recorded as a whole). */
  quiet<R>(fn: () => R): R {
    this.suspended++;
    try {
      return fn();
    } finally {
      this.suspended--;
    }
  }
}

/**
 * How a field is recorded. `value`: a get reads, a set writes (primitives and references to
 * immutable records). `mutable`: an object changed in place (Map, Set, array, record), so any
 * get counts as a write. `ref`: a fixed reference to an object that is instrumented itself or
 * immutable: not recorded. `ignore`: observational state that never feeds back into behaviour
 * (cost ledger, oracle integrals, statistics counters, event logs). `collection`: a Map or Set
 * whose elements are primitives, immutable records or instrumented objects: its lookups and
 * iteration read, its set/add/delete/clear write.
 */
type FieldMode = 'value' | 'mutable' | 'ref' | 'ignore' | 'collection';
type FieldRule = FieldMode | { readonly mode: FieldMode; readonly key: string };

/** The data fields of a model class as its type declares them (methods and private members left out). */
type DataKeys<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? never : K;
}[keyof T] &
  string;

/**
 * A rule for every field a model class declares: a field added to the class without a rule here is a
 * type error, and test/footprint-coverage.test.ts fails when an instance has a field with no rule.
 */
type RuleTable<T> = { readonly [K in DataKeys<T>]: FieldRule };

/**
 * A backend is any MappingBackend: its interface fields, plus the two a factory conventionally
 * keeps public on the instance (the machine and the options it was created with).
 */
type BackendRules = Partial<RuleTable<MappingBackend>> & {
  readonly machine?: FieldRule;
  readonly options?: FieldRule;
};

const isObject = (v: unknown): boolean => (typeof v === 'object' && v !== null) || typeof v === 'function';

/**
 * Replace the own data properties of obj with accessors that record under `key` (or the rule's
 * key). A field with no rule is `value` when it holds a primitive and `mutable` when it holds an
 * object: the safe default, so a field added to a model class later can only cost reduction.
 */
function fields(
  rec: Recorder,
  obj: object,
  key: string,
  rules: Readonly<Record<string, FieldRule>> = {},
): void {
  for (const name of Object.getOwnPropertyNames(obj)) {
    const desc = Object.getOwnPropertyDescriptor(obj, name);
    if (!desc || !('value' in desc) || !desc.configurable || typeof desc.value === 'function') continue;
    if (rules[name] === undefined) rec.unruled.add(`${obj.constructor.name}.${name}`);
    const rule = rules[name] ?? (isObject(desc.value) ? 'mutable' : 'value');
    const mode = typeof rule === 'string' ? rule : rule.mode;
    const k = typeof rule === 'string' ? key : rule.key;
    if (mode === 'ref' || mode === 'ignore') continue;
    let value: unknown = desc.value;
    if (mode === 'collection') collection(rec, value, k);
    const mutable = mode === 'mutable';
    Object.defineProperty(obj, name, {
      configurable: true,
      enumerable: desc.enumerable ?? true,
      get() {
        rec.touch(k, mutable);
        return value;
      },
      set(v: unknown) {
        rec.touch(k, true);
        if (mode === 'collection') collection(rec, v, k);
        value = v;
      },
    });
  }
}

// `snapshot`: GpcList's array of its members (kvm->gpc_list walked without a copy per walk).
const READS = ['get', 'has', 'forEach', 'keys', 'values', 'entries', 'snapshot', Symbol.iterator] as const;
const WRITES = ['set', 'add', 'delete', 'clear'] as const;

/** A Map, a Set, or a set-like of the model's own (LockHolders): has/add/delete, iterable. */
function isCollection(c: unknown): boolean {
  if (c instanceof Map || c instanceof Set) return true;
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string | symbol, unknown>;
  return (
    typeof o.has === 'function' && typeof o.delete === 'function' && typeof o[Symbol.iterator] === 'function'
  );
}

/** Record a collection's own operations: lookups and iteration read, changes write. */
function collection(rec: Recorder, c: unknown, key: string): void {
  if (!isCollection(c)) {
    throw new TypeError(
      `${key}: a collection field must hold a Map, a Set or a set-like (has, delete, iterable)`,
    );
  }
  const target = c as unknown as Record<string | symbol, unknown>;
  for (const [names, write] of [
    [READS, false],
    [WRITES, true],
  ] as const) {
    for (const name of names) {
      const fn = target[name];
      if (typeof fn !== 'function') continue;
      Object.defineProperty(c, name, {
        configurable: true,
        value: (...args: unknown[]) => {
          rec.touch(key, write);
          return (fn as (...a: unknown[]) => unknown).apply(c, args);
        },
      });
    }
  }
  // The size getter of the nearest prototype that has one (a subclass such as GpcList inherits Set's).
  let size: (() => unknown) | undefined;
  for (let p = Object.getPrototypeOf(c); p !== null && size === undefined; p = Object.getPrototypeOf(p)) {
    size = Object.getOwnPropertyDescriptor(p, 'size')?.get;
  }
  const sizeOf = size;
  if (sizeOf) {
    Object.defineProperty(c, 'size', {
      configurable: true,
      get() {
        rec.touch(key, false);
        return sizeOf.call(c);
      },
    });
  }
}

type Touches = (args: unknown[], result: unknown) => ReadonlyArray<readonly [string, boolean]>;

/**
 * Wrap methods (and getters) of one instance: the call runs unrecorded and is then recorded as
 * the touches the rule names, which may depend on the arguments and the result (a frame number).
 */
function methods(rec: Recorder, obj: object, rules: Readonly<Record<string, Touches>>): void {
  const target = obj as Record<string, unknown>;
  for (const [name, touches] of Object.entries(rules)) {
    let proto: object | null = Object.getPrototypeOf(obj);
    let desc: PropertyDescriptor | undefined;
    while (proto && !desc) {
      desc = Object.getOwnPropertyDescriptor(proto, name);
      proto = Object.getPrototypeOf(proto);
    }
    if (!desc) continue;
    if (desc.get) {
      const get = desc.get;
      Object.defineProperty(obj, name, {
        configurable: true,
        get() {
          const r = rec.quiet(() => get.call(obj));
          for (const [k, w] of rec.quiet(() => touches([], r))) rec.touch(k, w);
          return r;
        },
      });
    } else if (typeof desc.value === 'function') {
      const fn = desc.value as (...a: unknown[]) => unknown;
      target[name] = (...args: unknown[]) => {
        const r = rec.quiet(() => fn.apply(obj, args));
        for (const [k, w] of rec.quiet(() => touches(args, r))) rec.touch(k, w);
        return r;
      };
    }
  }
}

/**
 * Record a public get/set accessor pair of one instance (state the class keeps ES-private, so no
 * field of it is visible): reading it reads `key`, assigning it writes `key`.
 */
function accessors<T extends object>(
  rec: Recorder,
  obj: T,
  names: readonly DataKeys<T>[],
  key: string,
): void {
  for (const name of names) {
    let proto: object | null = Object.getPrototypeOf(obj);
    let desc: PropertyDescriptor | undefined;
    while (proto && !desc) {
      desc = Object.getOwnPropertyDescriptor(proto, name);
      proto = Object.getPrototypeOf(proto);
    }
    const get = desc?.get;
    const set = desc?.set;
    if (!get || !set) throw new TypeError(`${obj.constructor.name}.${name}: not a get/set accessor`);
    Object.defineProperty(obj, name, {
      configurable: true,
      get() {
        rec.touch(key, false);
        return get.call(obj);
      },
      set(v: unknown) {
        rec.touch(key, true);
        rec.quiet(() => set.call(obj, v));
      },
    });
  }
}

const R = (k: string) => [[k, false]] as const;
const W = (k: string) => [[k, true]] as const;

function pageTable(rec: Recorder, pt: PageTable, key: string): void {
  methods(rec, pt, {
    get: () => R(key),
    size: () => R(key),
    tablePages: () => R(key),
    entries: () => R(key),
    set: () => W(key),
    clear: () => W(key),
    destroy: () => W(key),
  });
  // Getters are recorded by the method rules above. changes: the page-change log an invariant checker
  // reads; no model code reads it.
  fields(rec, pt, key, {
    name: 'ref',
    ledger: 'ignore',
    size: 'ref',
    tablePages: 'ref',
    changes: 'ignore',
  } satisfies RuleTable<PageTable>);
}

function cpu(rec: Recorder, c: Cpu): void {
  fields(rec, c, `cpu:${c.id}`, {
    id: 'ref',
    tlb: { mode: 'mutable', key: `cpu:${c.id}.tlb` },
    loadedMm: 'value',
    // An accessor over ES-private state: recorded by accessors() below.
    online: 'value',
    current: 'ignore',
  } satisfies RuleTable<Cpu>);
  accessors(rec, c, ['online'], `cpu:${c.id}`);
}

function mm(rec: Recorder, m: Mm): void {
  const k = `mm:${m.id}`;
  pageTable(rec, m.userPt, `${k}.user_pt`);
  pageTable(rec, m.localPt, `${k}.local_pt`);
  fields(rec, m, k, {
    id: 'ref',
    name: 'ref',
    userPt: 'ref',
    localPt: 'ref',
    cpumask: { mode: 'collection', key: `${k}.cpumask` },
    vmas: { mode: 'mutable', key: `${k}.vmas` },
    alive: 'value',
  } satisfies RuleTable<Mm>);
}

function machine(rec: Recorder, m: Machine): void {
  const mem = m.mem;
  const frameKey = (pfn: unknown) => `frame:${String(pfn)}`;
  methods(rec, mem, {
    get: (a) => W(frameKey(a[0])),
    getPage: (a) => W(frameKey(a[0])),
    // The last reference going frees the frame onto the allocator's lists.
    putPage: (a) =>
      mem.frames.get(a[0] as number)?.owner === FREE
        ? [
            [frameKey(a[0]), true],
            ['mem:alloc', true],
          ]
        : W(frameKey(a[0])),
    alloc: (_a, r) => [
      ['mem:alloc', true],
      [frameKey((r as { pfn: number }).pfn), true],
    ],
    read: (a) => W(frameKey((a[0] as { pfn: number }).pfn)),
    write: (a) => W(frameKey((a[0] as { pfn: number }).pfn)),
    zero: (a) => W(frameKey((a[0] as { pfn: number }).pfn)),
    allocatedPages: () => [
      ['mem:alloc', false],
      ['frame:*', false],
    ],
  });
  fields(rec, mem, 'mem:alloc', {
    frames: { mode: 'mutable', key: 'frame:*' },
    totalPages: 'ref',
    firstAllocatable: 'ref',
    allocatedPages: 'ref',
    allocatablePages: 'ref',
    // Its lists and pageblocks change only inside alloc and putPage (recorded as mem:alloc above).
    allocator: 'ref',
  } satisfies RuleTable<PhysicalMemory>);
  methods(rec, m.directMap, {
    isPresent: () => R('direct_map'),
    leafSize: () => R('direct_map'),
    absentPages: () => R('direct_map'),
    remove: () => W('direct_map'),
    restore: () => W('direct_map'),
  });
  fields(rec, m.directMap, 'direct_map', {
    ledger: 'ignore',
    totalPages: 'ref',
    bootLeaf: 'ref',
    absentPages: 'ref',
    changes: 'ignore',
  } satisfies RuleTable<DirectMap>);
  methods(rec, m.vmalloc, {
    alloc: () => W('vmalloc'),
    free: () => W('vmalloc'),
    bytesInUse: () => R('vmalloc'),
  });
  fields(rec, m.vmalloc, 'vmalloc', {
    ledger: 'ignore',
    name: 'ref',
    start: 'ref',
    size: 'ref',
    bytesInUse: 'ref',
  } satisfies RuleTable<VaRange>);
  pageTable(rec, m.kernelPt, 'kernel_pt');
  for (const c of m.cpus) cpu(rec, c);
  // Which CPUs hold a translation is a fact about every TLB: asking reads them all. Its updates
  // happen inside TLB fills and removals, recorded as writes of that CPU's TLB.
  const everyTlb = () => m.cpus.map((c) => [`cpu:${c.id}.tlb`, false] as const);
  methods(rec, m.tlbDirectory, { holders: everyTlb, cached: everyTlb, pagesOf: everyTlb });
  for (const x of m.mms.values()) mm(rec, x);
  fields(rec, m, 'machine', {
    options: 'ref',
    calibration: 'ignore',
    ledger: 'ignore',
    oracle: 'ignore',
    mem: 'ref',
    directMap: 'ref',
    kernelPt: 'ref',
    vmalloc: 'ref',
    cpus: 'ref',
    // Creating an mm (its id comes from ES-private state) always adds it here.
    mms: { mode: 'collection', key: 'machine.mms' },
    oopsLog: { mode: 'mutable', key: 'machine.records' },
    faultLog: { mode: 'mutable', key: 'machine.records' },
    // Getters over the two logs above.
    oopses: 'ref',
    faults: 'ref',
    singlePageFlushCeiling: 'ref',
    // Derived from the references above; the CPUs' online flags are read on the CPUs.
    tlbDirectory: 'ref',
    onlineCount: 'ref',
    onlineCpus: 'ref',
    // Set by the scheduler to the stepping thread's CPU before the step runs: thread-local.
    currentCpu: 'ignore',
  } satisfies RuleTable<Machine>);
}

function vm(rec: Recorder, v: Vm, done: WeakSet<object>): void {
  const k = `vm:${v.name}`;
  const slots = `${k}.memslots`;
  methods(rec, v.memslots, {
    gfnToMemslot: () => R(slots),
    gfnToHva: () => R(slots),
    hvaToMemslot: () => R(slots),
    overlapsHva: () => R(slots),
  });
  fields(rec, v.memslots, slots, { generation: 'value', slots: 'collection' } satisfies RuleTable<Memslots>);
  const inval = `${k}.inval`;
  fields(rec, v, k, {
    machine: 'ref',
    id: 'ref',
    name: 'ref',
    mm: 'ref',
    kernel: 'ref',
    memslots: 'ref',
    mmuInvalidateSeq: { mode: 'value', key: inval },
    mmuInvalidateInProgress: { mode: 'value', key: inval },
    activeInvalidateCount: { mode: 'value', key: inval },
    inflight: { mode: 'mutable', key: inval },
    srcuReaders: { mode: 'value', key: `${k}.srcu` },
    gpcList: { mode: 'collection', key: `${k}.gpc_list` },
    gmemFiles: { mode: 'mutable', key: `${k}.gmem_files` },
    privateGfns: { mode: 'collection', key: slots },
    events: 'ignore',
    vmm: 'ref',
    publishedDuringInvalidation: 'value',
    // Bookkeeping for the invariant checker: no model code reads it.
    stateVersion: 'ignore',
    vcpus: 'mutable',
    alive: 'value',
  } satisfies RuleTable<Vm>);
  fields(rec, v.vmm, k, {
    vm: 'ref',
    nextGmem: { mode: 'value', key: `${k}.gmem_files` },
    gmemVmas: { mode: 'mutable', key: `mm:${v.mm.id}.vmas` },
  } satisfies RuleTable<VmmMemory>);
  gmemFiles(rec, v, done);
}

/** guest_memfd files are created by memslot changes: instrument the ones not seen yet. */
function gmemFiles(rec: Recorder, v: Vm, done: WeakSet<object>): void {
  for (const f of rec.quiet(() => [...v.gmemFiles])) {
    if (done.has(f)) continue;
    done.add(f);
    const gk = `gmem:${v.name}.${f.id}`;
    fields(rec, f, gk, {
      folios: 'collection',
      zapped: 'collection',
      vm: 'ref',
      id: 'ref',
      sizePages: 'ref',
      flags: 'ref',
      tag: 'ref',
      userMappings: 'mutable',
      released: 'value',
      // A getter: the VM's machine.
      machine: 'ref',
    } satisfies RuleTable<GuestMemfd>);
  }
}

function cache(rec: Recorder, g: GfnToPfnCache): void {
  const k = `gpc:${g.name}`;
  fields(rec, g.lock, `${k}.lock`, {
    name: 'ref',
    readers: 'collection',
    writer: 'value',
  } satisfies RuleTable<RwLock>);
  fields(rec, g.refreshLock, `${k}.refresh_lock`, { name: 'ref', owner: 'value' } satisfies RuleTable<Mutex>);
  fields(rec, g, k, {
    vm: 'ref',
    backend: 'ref',
    name: 'ref',
    hook: 'ref',
    lock: 'ref',
    refreshLock: 'ref',
    // Immutable memslot records (a memslot change publishes a new object).
    memslot: 'value',
    pfnIdent: 'value',
    counters: 'ignore',
    violations: 'ignore',
    gpa: 'value',
    uhva: 'value',
    generation: 'value',
    pfn: 'value',
    khva: 'value',
    active: 'value',
    valid: 'value',
    heldRefs: 'value',
    live: 'mutable',
    readerViews: 'mutable',
    inUnlockedWindow: 'value',
    released: 'value',
    // Getters over fields recorded elsewhere (the backend's traits, the VM's gpc_list).
    perAccess: 'ref',
    onList: 'ref',
  } satisfies RuleTable<GfnToPfnCache>);
}

/**
 * Instruments a scenario world so that each step's footprint can be recorded. The objects, and
 * so the independence relation (see the README):
 * - `gpc:<cache>` (its fields), `gpc:<cache>.lock`, `gpc:<cache>.refresh_lock`;
 * - per VM: `.inval` (mmu_invalidate_seq, in-progress and active counts, in-flight ranges),
 *   `.memslots` (slots, generation, private gfns), `.gpc_list`, `.srcu`, `.gmem_files`;
 *   each guest_memfd file `gmem:<vm>.<id>`;
 * - per mm: `.user_pt`, `.local_pt` (read or written), `.vmas`, `.cpumask`;
 * - per CPU: `cpu:<id>` (loaded mm, online) and `cpu:<id>.tlb`;
 * - `frame:<pfn>` per physical frame, `mem:alloc` (the allocator's lists), `direct_map`,
 *   `vmalloc`, `kernel_pt`, `machine.mms`, `machine.records` (oops and fault logs);
 * - `backend` (the backend instance's state), `world.cache:<name>` (the scenario's cache names).
 * Not recorded, because nothing the model decides depends on them: the cost ledger, the safety
 * oracle's integrals, statistics counters, event logs, the scheduler's own bookkeeping. Thread
 * state (the generator, its CPU, its mode) belongs to the thread.
 */
export class WorldInstrumentation {
  private readonly done = new WeakSet<object>();

  constructor(
    readonly rec: Recorder,
    readonly world: ScenarioWorld,
  ) {
    const w = world;
    machine(rec, w.kvm.machine);
    for (const v of w.vms.values()) vm(rec, v, this.done);
    fields(rec, w.backend, 'backend', {
      machine: 'ref',
      options: 'ref',
      name: 'ref',
      traits: 'ref',
    } satisfies BackendRules);
    const lookup = w.cache.bind(w);
    const has = (name: unknown) => typeof name === 'string' && w.caches.has(name);
    (w as { cache: typeof w.cache }).cache = (name, step, create) => {
      const existed = has(name);
      const r = rec.quiet(() => lookup(name, step, create));
      rec.touch(`world.cache:${String(name)}`, !existed);
      return r;
    };
    this.refresh();
  }

  /** Instrument objects created by the last step (caches, guest_memfd files). */
  refresh(): void {
    for (const g of this.world.caches.values()) {
      if (this.done.has(g)) continue;
      this.done.add(g);
      cache(this.rec, g);
    }
    for (const v of this.world.vms.values()) gmemFiles(this.rec, v, this.done);
  }
}
