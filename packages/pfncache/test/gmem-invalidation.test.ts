import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../src/invariants.ts';
import { gpcUse } from '../src/use.ts';
import { finish, run, runUntil, world } from './support/world.ts';

const GPA = 0x1000;

/**
 * Activate the cache on page 1 of the gmem slot, invalidate it and start a refresh, stop that
 * refresh where it yields `label`, then punch the page out of the file from the VMM thread.
 */
function punchHoleDuringRefresh(label: 'lock-drop' | 'mapped') {
  const w = world();
  run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
  const old = w.gpc.pfn;
  w.gpc.valid = false;
  expect(runUntil(w, w.vcpu, w.gpc.refresh(w.vcpu, 8), label)).toBe(true);
  const file = w.vm.memslots.slots.get(0)!.gmem!;
  run(w, w.vmm, file.punchHole(w.vmm, 1, 1));
  return { w, old, file };
}

describe('punch-hole of the gmem page under an active cache', () => {
  it('gmemInvalidation on (RFC v2/v3): the cache goes invalid; refresh maps the new page', () => {
    const w = world({ gmemInvalidation: true });
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const old = w.gpc.pfn;
    const file = w.vm.memslots.slots.get(0)!.gmem!;
    expect(run(w, w.vmm, file.punchHole(w.vmm, 1, 1))).toBe(0);
    expect(w.gpc.valid).toBe(false);
    expect(checkInvariants([w.gpc])).toEqual([]);
    const out = run(w, w.vcpu, gpcUse(w.vcpu, w.gpc, { len: 8, op: 'write' }));
    expect(out.result).toBe(0);
    expect(out.refreshes).toBe(1);
    expect(w.gpc.valid).toBe(true);
    expect(w.gpc.pfn).toBe(file.folios.get(1));
    expect(w.kvm.machine.oracle.figures().useAfterFreeAccesses).toBe(0);
    void old;
  });

  it('gmemInvalidation off (RFC v1): the cache stays valid on a freed page; a write is a use-after-free once reused', () => {
    const w = world({ gmemInvalidation: false });
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const oldPfn = w.gpc.pfn;
    const m = w.kvm.machine;
    const file = w.vm.memslots.slots.get(0)!.gmem!;
    run(w, w.vmm, file.punchHole(w.vmm, 1, 1));
    expect(w.gpc.valid).toBe(true);
    expect(m.mem.get(oldPfn)?.owner).toBe(-1);
    expect(checkInvariants([w.gpc]).map((v) => v.invariant)).toContain('valid-pfn-is-current');
    expect(m.oracle.figures().useAfterFreeWindows).toBe(1);
    // Someone else gets the freed frame (the allocator hands freed frames out first).
    const other = m.mem.alloc(0, 0, 'none');
    expect(other.pfn).toBe(oldPfn);
    const out = run(
      w,
      w.vcpu,
      gpcUse(w.vcpu, w.gpc, { len: 8, op: 'write', data: new Uint8Array(8).fill(7) }),
    );
    expect(out.result).toBe(0);
    expect(out.access).toMatchObject({ ok: true, useAfterFree: true });
    expect(m.oracle.figures().useAfterFreeAccesses).toBe(1);
    expect(other.bytes?.[w.gpc.khva % 4096]).toBe(7);
  });

  it('gmemInvalidation off but the VMM maps the file: truncation reaches the cache through the mmu notifier', () => {
    const w = world({ gmemInvalidation: false }, { vmmMapped: true });
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const file = w.vm.memslots.slots.get(0)!.gmem!;
    run(w, w.vmm, file.punchHole(w.vmm, 1, 1));
    expect(w.gpc.valid).toBe(false);
  });

  it('the DESIGN race: punch-hole while refresh has dropped the lock; refresh retries to the new page', () => {
    const { w, old, file } = punchHoleDuringRefresh('lock-drop');
    expect(finish(w, w.vcpu)).toBe(0);
    expect(w.gpc.valid).toBe(true);
    // The old page went to CPU 2's free list; the refresh on CPU 0 allocates another one.
    expect(w.gpc.pfn).not.toBe(old);
    expect(w.gpc.pfn).toBe(file.folios.get(1));
    expect(w.gpc.counters.retries).toBe(1);
    // The retry throws away the mapping of the first iteration and maps the page again
    // (gpc_to_pfn_retry only reuses the cache's own old mapping), then the old one goes.
    expect(w.gpc.counters).toMatchObject({ mapCalls: 3, unmapCalls: 2 });
    expect(w.gpc.live).toHaveLength(1);
    expect(checkInvariants([w.gpc])).toEqual([]);
  });

  it('punch-hole after translation: the page reference the refresh holds keeps the page until the retry', () => {
    const { w, old, file } = punchHoleDuringRefresh('mapped');
    // Still referenced by the refresh: not free yet.
    expect(w.kvm.machine.mem.get(old)?.refcount).toBe(1);
    expect(finish(w, w.vcpu)).toBe(0);
    expect(w.gpc.counters.retries).toBe(1);
    // Dropped on CPU 0 at the retry, the page is the next one CPU 0 allocates: the new folio.
    expect(w.gpc.pfn).toBe(file.folios.get(1));
    expect(w.kvm.machine.oracle.figures().useAfterFreeAccesses).toBe(0);
    expect(checkInvariants([w.gpc])).toEqual([]);
  });
});
