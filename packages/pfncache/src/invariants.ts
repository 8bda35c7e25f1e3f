import { INVALID_GPA, isErrorHva } from '@khva/kvm';
import { type Cpu, offsetInPage, PAGE_SIZE, pageAlignDown, vpnOf } from '@khva/memory-core';
import { type GfnToPfnCache, KVM_PFN_ERR_FAULT, NULL_KHVA } from './gpc.ts';

export interface InvariantViolation {
  readonly invariant: string;
  readonly cache: string;
  readonly detail: string;
}

export interface Invariant {
  /** Stable name (used in reports, counterexamples and tests). */
  readonly name: string;
  /** pfncache-spec.md section 6 number, or 'model' for checks the model adds. */
  readonly spec: string;
  readonly description: string;
  /** Meaningful only when no thread is inside the cache's write-locked section or refresh. */
  readonly atRest: boolean;
  check(gpc: GfnToPfnCache): string | null;
}

const atRest = (g: GfnToPfnCache) => g.lock.writer === null && g.refreshLock.owner === null;

/** The pfn the memory behind the cache maps right now (no allocation, no side effect). */
export function currentPfn(g: GfnToPfnCache): number | null {
  const vm = g.vm;
  const gfn = Math.floor(g.gpa / PAGE_SIZE);
  if (g.gpa !== INVALID_GPA && g.memslot?.gmem && vm.usesGmem(g.memslot, gfn)) {
    return g.memslot.gmem.folios.get(gfn - g.memslot.baseGfn + g.memslot.gmemPgoff) ?? null;
  }
  if (isErrorHva(g.uhva)) return null;
  const pte = vm.mm.userPt.get(vpnOf(g.uhva));
  if (pte) return pte.pfn;
  // No PTE yet: for a mapping of a guest_memfd file, the page is the file's folio at that offset
  // (kvm_gmem_fault_user_mapping would fault in exactly that one), not "nothing".
  const vma = vm.mm.findVma(pageAlignDown(g.uhva));
  const binding = vma ? vm.vmm.gmemVmas.get(vma) : undefined;
  if (!vma || !binding) return null;
  return binding.file.folios.get(binding.pgoff + (pageAlignDown(g.uhva) - vma.start) / PAGE_SIZE) ?? null;
}

/**
 * Does an invalidation in flight cover this cache's page, past the point where it walks the
 * caches (or one that never walks them: guest_memfd without kernel.gmemInvalidation)? Before the
 * walk, a reader holding the lock may legitimately still see the cache valid.
 */
function coveringInvalidation(g: GfnToPfnCache): boolean {
  return g.vm.inflight.some((r) => r.walked && g.uhva >= r.start && g.uhva < r.end);
}

/** CPUs from which the backend promises the khva works. */
function promisedCpus(g: GfnToPfnCache): Cpu[] {
  const m = g.vm.machine;
  const t = g.backend.traits;
  if (t.kind === 'global') return m.onlineCpus;
  if (t.kind === 'mm-local') return m.onlineCpus.filter((c) => c.loadedMm === g.vm.mm);
  return [];
}

/** The invariants of pfncache-spec.md section 6 that hold per cache, plus the model's own. */
export const invariants: readonly Invariant[] = [
  {
    name: 'valid-implies-active',
    spec: '1',
    description: 'a valid cache is active',
    atRest: false,
    check: (g) => (g.valid && !g.active ? 'valid but inactive' : null),
  },
  {
    name: 'active-implies-on-list',
    spec: '2',
    description: 'an active cache is on the VM list that invalidation walks',
    atRest: false,
    check: (g) => (g.active && !g.onList ? 'active but not on gpc_list' : null),
  },
  {
    name: 'valid-mapping-consistent',
    spec: '3',
    description: 'valid => real pfn, khva set (stable backends), uhva not an error, same in-page offset',
    atRest: false,
    check: (g) => {
      if (!g.valid) return null;
      if (g.pfn === KVM_PFN_ERR_FAULT) return 'valid with the error pfn';
      if (isErrorHva(g.uhva)) return 'valid with an error hva';
      if (g.perAccess) return null;
      if (g.khva === NULL_KHVA) return 'valid with a NULL khva';
      if (offsetInPage(g.khva) !== offsetInPage(g.uhva))
        return `khva offset ${offsetInPage(g.khva)} != uhva offset ${offsetInPage(g.uhva)}`;
      return null;
    },
  },
  {
    name: 'pfn-khva-paired',
    spec: '4',
    description: 'at rest, pfn is the error pfn exactly when khva is NULL (stable backends)',
    atRest: true,
    check: (g) => {
      if (g.perAccess) return null;
      return (g.pfn === KVM_PFN_ERR_FAULT) !== (g.khva === NULL_KHVA)
        ? `pfn ${g.pfn} with khva ${g.khva}`
        : null;
    },
  },
  {
    name: 'mapping-owned-once',
    spec: '5',
    description:
      'every mapping is unmapped exactly once or still owned by the cache (no leak, no double unmap)',
    atRest: true,
    check: (g) => {
      if (g.violations.doubleUnmaps > 0) return `${g.violations.doubleUnmaps} double unmap(s)`;
      const owned = g.khva === NULL_KHVA ? [] : [pageAlignDown(g.khva)];
      const leaked = g.live.filter((m) => !owned.includes(m.khva));
      return leaked.length > 0
        ? `${leaked.length} mapping(s) leaked: ${leaked.map((m) => `pfn ${m.pfn}`).join(', ')}`
        : null;
    },
  },
  {
    name: 'no-unmap-under-spinlock',
    spec: '6',
    description: 'gpc_unmap never runs with gpc->lock held',
    atRest: false,
    check: (g) =>
      g.violations.unmapUnderSpinlock > 0
        ? `${g.violations.unmapUnderSpinlock} unmap(s) under the lock`
        : null,
  },
  {
    name: 'invalid-in-unlocked-window',
    spec: '8',
    description: 'while a refresh is in its unlocked window the cache is not valid',
    atRest: false,
    check: (g) =>
      g.violations.validInUnlockedWindow > 0 || (g.inUnlockedWindow && g.valid)
        ? 'valid inside the unlocked window'
        : null,
  },
  {
    name: 'not-valid-during-invalidation',
    spec: '10',
    description: 'no cache is valid while an invalidation covering its page is in progress',
    atRest: false,
    check: (g) =>
      g.valid && coveringInvalidation(g) ? `valid while ${g.uhva.toString(16)} is being invalidated` : null,
  },
  {
    name: 'valid-pfn-is-current',
    spec: '9',
    description:
      'at rest with no invalidation in flight, a valid cache that check could pass holds the pfn the memory maps now',
    atRest: true,
    check: (g) => {
      if (!g.valid || g.vm.inflight.length > 0) return null;
      // A gpa cache on an old generation fails every check: its pfn is never used again as is.
      if (g.gpa !== INVALID_GPA && g.generation !== g.vm.memslots.generation) return null;
      const now = currentPfn(g);
      return now !== g.pfn ? `cache pfn ${g.pfn}, memory maps ${now ?? 'nothing'} now` : null;
    },
  },
  {
    name: 'generation-fresh',
    spec: '11',
    description: 'a gpa cache whose check can pass has the current memslot generation',
    atRest: false,
    check: (g) => {
      if (g.gpa === INVALID_GPA || !g.valid) return null;
      return g.check(0) && g.generation !== g.vm.memslots.generation
        ? 'check passes on an old generation'
        : null;
    },
  },
  {
    name: 'reader-safety',
    spec: '7',
    description:
      'while a reader holds the read lock after a passing check, pfn and khva stay and the mapping is not unmapped',
    atRest: false,
    check: (g) => {
      for (const [t, view] of g.readerViews) {
        if (!g.lock.readers.has(t)) continue;
        if (g.pfn !== view.pfn || g.khva !== view.khva)
          return `${t.name} saw pfn ${view.pfn}, cache now has ${g.pfn}`;
        if (view.khva !== NULL_KHVA && !g.live.some((m) => m.khva === pageAlignDown(view.khva))) {
          return `${t.name} is using a khva that was unmapped`;
        }
      }
      return null;
    },
  },
  {
    name: 'memslots-not-published-during-invalidation',
    spec: '12',
    description: 'new memslots are never published while an mmu-notifier invalidation is active',
    atRest: false,
    check: (g) =>
      g.vm.publishedDuringInvalidation > 0
        ? `${g.vm.publishedDuringInvalidation} memslot swap(s) during an invalidation`
        : null,
  },
  {
    name: 'einval-without-side-effects',
    spec: '13',
    description: 'an -EINVAL for bad arguments leaves the cache as it was',
    atRest: false,
    check: (g) =>
      g.violations.einvalSideEffects > 0
        ? `${g.violations.einvalSideEffects} -EINVAL(s) changed the cache`
        : null,
  },
  {
    name: 'failure-epilogue',
    spec: '14',
    description: 'an -EFAULT refresh leaves the cache invalid with no pfn, no khva and its mapping unmapped',
    atRest: false,
    check: (g) =>
      g.violations.failureEpilogue > 0
        ? `${g.violations.failureEpilogue} failed refresh(es) left state behind`
        : null,
  },
  {
    name: 'no-page-reference-held',
    spec: '15',
    description: 'at rest the cache holds no page reference: invalidation, not a pin, keeps it correct',
    atRest: true,
    check: (g) => (g.heldRefs !== 0 ? `${g.heldRefs} page reference(s) held` : null),
  },
  {
    name: 'lock-order',
    spec: '16',
    description: 'refresh_lock is never taken while holding gpc->lock',
    atRest: false,
    check: (g) =>
      g.violations.lockOrder > 0 ? `${g.violations.lockOrder} refresh_lock taken under gpc->lock` : null,
  },
  {
    name: 'gpc-map-masks-anon',
    spec: 'model',
    description:
      "gpc_map never reads an anon folio's mapping as an address_space (GUP masks FOLIO_MAPPING_ANON first)",
    atRest: false,
    check: (g) =>
      g.violations.rawAnonMapping > 0
        ? `${g.violations.rawAnonMapping} gpc_map call(s) tested AS_NO_DIRECT_MAP through an anon_vma pointer`
        : null,
  },
  {
    name: 'gmem-error-checked',
    spec: 'model',
    description: 'a failed kvm_gmem_get_pfn() is never taken for a pfn (RFC v1 ignored its return value)',
    atRest: false,
    check: (g) =>
      g.violations.gmemErrorIgnored > 0
        ? `${g.violations.gmemErrorIgnored} failed kvm_gmem_get_pfn() call(s) whose unwritten pfn was used`
        : null,
  },
  {
    name: 'valid-khva-translates',
    spec: 'model',
    description: "a valid cache's khva translates to its pfn from every CPU the backend promises",
    atRest: true,
    check: (g) => {
      if (!g.valid || g.perAccess || g.vm.inflight.length > 0) return null;
      for (const cpu of promisedCpus(g)) {
        const tr = g.vm.machine.translate(cpu, g.khva);
        if (!tr || tr.pfn !== g.pfn)
          return `cpu ${cpu.id}: khva translates to ${tr ? `pfn ${tr.pfn}` : 'nothing'}`;
      }
      return null;
    },
  },
];

/** Run every invariant on the caches; at-rest ones only where the cache is at rest. */
export function checkInvariants(caches: Iterable<GfnToPfnCache>): InvariantViolation[] {
  const out: InvariantViolation[] = [];
  for (const g of caches) checkCache(g, out);
  return out;
}

/** Every invariant on one cache (at-rest ones only at rest), appended to `out`. */
export function checkCache(g: GfnToPfnCache, out: InvariantViolation[] = []): InvariantViolation[] {
  const rest = atRest(g);
  for (const inv of invariants) {
    if (inv.atRest && !rest) continue;
    const d = inv.check(g);
    if (d) out.push({ invariant: inv.name, cache: g.name, detail: d });
  }
  return out;
}
