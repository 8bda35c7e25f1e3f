import { INVALID_GPA } from '@khva/kvm';
import { describe, expect, it } from 'vitest';
import { type GfnToPfnCache, KVM_PFN_ERR_FAULT } from '../src/gpc.ts';
import { checkInvariants, currentPfn, invariants } from '../src/invariants.ts';
import { gpcUse } from '../src/use.ts';
import { GMEM_HVA, run, runUntil, world } from './support/world.ts';

const names = (g: GfnToPfnCache) => checkInvariants([g]).map((v) => v.invariant);

/** A valid cache on the gmem page at gpa 0x1000, at rest. */
function validCache() {
  const w = world();
  expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1000, 8))).toBe(0);
  expect(names(w.gpc)).toEqual([]);
  return w;
}

describe('the invariants of pfncache-spec.md section 6, as named checks', () => {
  it('names every numbered invariant of the spec', () => {
    const specs = new Set(invariants.map((i) => i.spec));
    for (const n of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16']) {
      expect(specs.has(n), `invariant ${n}`).toBe(true);
    }
  });

  it('hold through activate, use, refresh and deactivate', () => {
    const w = validCache();
    run(w, w.vcpu, gpcUse(w.vcpu, w.gpc, { len: 8, op: 'write' }));
    w.gpc.valid = false;
    expect(run(w, w.vcpu, w.gpc.refresh(w.vcpu, 8))).toBe(0);
    run(w, w.vcpu, w.gpc.deactivate(w.vcpu));
    expect(names(w.gpc)).toEqual([]);
  });

  it('1 and 2: valid without active, active off the list', () => {
    const w = validCache();
    w.gpc.active = false;
    expect(names(w.gpc)).toContain('valid-implies-active');
    w.gpc.active = true;
    w.vm.gpcList.clear();
    expect(names(w.gpc)).toContain('active-implies-on-list');
  });

  it('3 and 4: a valid cache with no khva; a pfn without a khva at rest', () => {
    const w = validCache();
    w.gpc.khva = 0;
    expect(names(w.gpc)).toEqual(expect.arrayContaining(['valid-mapping-consistent', 'pfn-khva-paired']));
  });

  it('5: a mapping the cache no longer owns is a leak', () => {
    const w = validCache();
    w.gpc.khva = 0;
    w.gpc.pfn = KVM_PFN_ERR_FAULT;
    w.gpc.valid = false;
    expect(names(w.gpc)).toContain('mapping-owned-once');
  });

  it('7: a reader that checked the cache must keep seeing the same mapping', () => {
    const w = validCache();
    expect(runUntil(w, w.vcpu, gpcUse(w.vcpu, w.gpc, { len: 8, op: 'write' }), 'holding-read-lock')).toBe(
      true,
    );
    expect(names(w.gpc)).toEqual([]);
    w.gpc.khva += 4096;
    expect(names(w.gpc)).toContain('reader-safety');
  });

  it('9 and 10: a valid cache on a page the memory no longer maps, or while its page is invalidated', () => {
    const w = world({ gmemInvalidation: false });
    run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1000, 8));
    const file = w.vm.memslots.slots.get(0)!.gmem!;
    expect(runUntil(w, w.vmm, file.punchHole(w.vmm, 1, 1), 'gmem-invalidate-begun')).toBe(true);
    expect(names(w.gpc)).toContain('not-valid-during-invalidation');
    w.kvm.scheduler.runToCompletion(w.vmm);
    expect(names(w.gpc)).toContain('valid-pfn-is-current');
  });

  it('9: an hva cache over a guest_memfd mapping the VMM never touched holds the file folio: not reported stale', () => {
    // A gmem-only no-direct-map slot the VMM has mapped but never touched.
    const w = world({}, { vmmMapped: true });
    const file = w.vm.memslots.slots.get(0)!.gmem!;
    // vcpu_info by gpa: the folio comes from kvm_gmem_get_pfn, so the VMM's page table gets no PTE.
    expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1040, 8))).toBe(0);
    const { pfn, khva } = w.gpc;
    // Then by the hva of the same page (xen_shinfo_test's SET_VCPU_INFO): the uhva did not change,
    // so kvm_gpc_activate_hva keeps the cache valid on that folio, now as an hva cache.
    expect(run(w, w.vmm, w.gpc.activateHva(w.vmm, GMEM_HVA + 0x1040, 8))).toBe(0);
    expect(w.gpc).toMatchObject({ valid: true, pfn, khva, gpa: INVALID_GPA });
    expect(w.vm.mm.userPt.get((GMEM_HVA + 0x1000) / 4096)).toBeUndefined();
    // With no PTE, the current page is the file's folio at that offset (what
    // kvm_gmem_fault_user_mapping would fault in), which the cache holds: nothing is stale.
    expect(file.folios.get(1)).toBe(pfn);
    expect(currentPfn(w.gpc)).toBe(pfn);
    expect(names(w.gpc)).toEqual([]);
    // A hole in that page zaps the VMM's range: the cache goes invalid, nothing valid is left behind.
    expect(run(w, w.vmm, file.punchHole(w.vmm, 1, 1))).toBe(0);
    expect(w.gpc.valid).toBe(false);
    expect(currentPfn(w.gpc)).toBeNull();
    expect(names(w.gpc)).toEqual([]);
  });

  it('12: memslots published during an invalidation', () => {
    const w = validCache();
    w.vm.publishedDuringInvalidation = 1;
    expect(names(w.gpc)).toContain('memslots-not-published-during-invalidation');
  });

  it('13, 14, 16: counted when refresh breaks them', () => {
    const w = validCache();
    w.gpc.violations.einvalSideEffects = 1;
    w.gpc.violations.failureEpilogue = 1;
    w.gpc.violations.lockOrder = 1;
    expect(names(w.gpc)).toEqual(
      expect.arrayContaining(['einval-without-side-effects', 'failure-epilogue', 'lock-order']),
    );
  });

  it('14: a real -EFAULT refresh leaves nothing behind', () => {
    const w = validCache();
    run(w, w.vmm, w.vm.deleteMemslot(w.vmm, 0));
    expect(run(w, w.vcpu, w.gpc.refresh(w.vcpu, 8))).toBe('EFAULT');
    expect(w.gpc.violations.failureEpilogue).toBe(0);
    expect(names(w.gpc)).toEqual([]);
  });

  it('15: the page reference translation takes is dropped by the time refresh returns', () => {
    const w = validCache();
    expect(w.gpc.heldRefs).toBe(0);
    w.gpc.valid = false;
    expect(runUntil(w, w.vcpu, w.gpc.refresh(w.vcpu, 8), 'mapped')).toBe(true);
    expect(w.gpc.heldRefs).toBe(1);
    w.kvm.scheduler.runToCompletion(w.vcpu);
    expect(w.gpc.heldRefs).toBe(0);
    w.gpc.heldRefs = 1;
    expect(names(w.gpc)).toContain('no-page-reference-held');
  });

  it('16: taking refresh_lock under gpc->lock is caught (and cannot sleep in atomic context)', () => {
    const w = validCache();
    const g = w.gpc;
    w.vcpu.start(
      (function* () {
        yield* g.lock.readLock(w.vcpu);
        yield* g.refresh(w.vcpu, 8);
      })(),
    );
    expect(() => w.kvm.scheduler.runToCompletion(w.vcpu)).toThrow(/atomic/);
    expect(g.violations.lockOrder).toBe(1);
  });
});
