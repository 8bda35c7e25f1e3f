import { runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { KVM_PFN_ERR_FAULT, NULL_KHVA } from '../src/gpc.ts';
import { checkInvariants } from '../src/invariants.ts';
import { ANON_GFN, ANON_HVA, finish, run, runUntil, world } from './support/world.ts';

const GPA = ANON_GFN * 4096 + 0x40;

describe('refresh against invalidation (the retry loop)', () => {
  it('R2: an invalidation that completes inside the unlocked window forces a retry to the new pfn', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const p0 = w.gpc.pfn;
    w.gpc.valid = false; // as if an earlier invalidation hit it
    expect(runUntil(w, w.vcpu, w.gpc.refresh(w.vcpu, 8), 'mapped')).toBe(true);
    expect(w.gpc.valid).toBe(false);
    expect(run(w, w.vmm, w.vm.migratePage(w.vmm, ANON_HVA))).toBe(0);
    expect(finish(w, w.vcpu)).toBe(0);
    expect(w.gpc.counters.retries).toBe(1);
    expect(w.gpc.valid).toBe(true);
    expect(w.gpc.pfn).not.toBe(p0);
    expect(w.gpc.pfn).toBe(w.vm.mm.userPt.get(ANON_HVA / 4096)?.pfn);
    expect(checkInvariants([w.gpc])).toEqual([]);
  });

  it('R3: an invalidation still in flight at the re-check keeps the refresh from going valid', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    w.gpc.valid = false;
    runUntil(w, w.vcpu, w.gpc.refresh(w.vcpu, 8), 'mapped');
    expect(runUntil(w, w.vmm, w.vm.migratePage(w.vmm, ANON_HVA), 'mmu-notifier-started')).toBe(true);
    expect(w.vm.activeInvalidateCount).toBe(1);
    // The refresh retakes the lock, sees the active count, loops and waits.
    for (let i = 0; i < 10 && w.vcpu.runnable; i++) w.kvm.scheduler.step(w.vcpu);
    expect(w.vcpu.done).toBe(false);
    expect(w.vcpu.runnable).toBe(false);
    expect(w.gpc.valid).toBe(false);
    finish(w, w.vmm);
    expect(finish(w, w.vcpu)).toBe(0);
    expect(w.gpc.valid).toBe(true);
    expect(w.gpc.pfn).toBe(w.vm.mm.userPt.get(ANON_HVA / 4096)?.pfn);
  });

  it('R4: an unrelated invalidation in the window also forces a retry (the count is VM-wide)', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const p0 = w.gpc.pfn;
    w.gpc.valid = false;
    runUntil(w, w.vcpu, w.gpc.refresh(w.vcpu, 8), 'mapped');
    // Touch and migrate another page of the slot.
    const other = w.vm.hvaToPfn(w.vmm.ctx, ANON_HVA + 0x5000);
    if (typeof other === 'number') w.vm.releasePage(other);
    expect(run(w, w.vmm, w.vm.migratePage(w.vmm, ANON_HVA + 0x5000))).toBe(0);
    finish(w, w.vcpu);
    expect(w.gpc.counters.retries).toBe(1);
    expect(w.gpc.pfn).toBe(p0);
  });

  it('R13: a benign invalidation then refresh to the same pfn reuses the mapping (no map, no unmap)', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const { pfn, khva } = w.gpc;
    runAlone(w.vm.mmuNotifierInvalidateRangeStart(w.vmm, ANON_HVA, ANON_HVA + 4096));
    w.vm.mmuNotifierInvalidateRangeEnd(ANON_HVA, ANON_HVA + 4096);
    expect(w.gpc.valid).toBe(false);
    expect(run(w, w.vcpu, w.gpc.refresh(w.vcpu, 8))).toBe(0);
    expect(w.gpc).toMatchObject({ valid: true, pfn, khva });
    expect(w.gpc.counters).toMatchObject({ mapCalls: 1, unmapCalls: 0 });
  });

  it('R7: a second refresh of a valid cache takes the fast path', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const before = { ...w.gpc.counters };
    expect(run(w, w.vmm, w.gpc.refresh(w.vmm, 8))).toBe(0);
    expect(w.gpc.counters.mapCalls).toBe(before.mapCalls);
    expect(w.gpc.counters.retries).toBe(0);
  });

  it('R18: a length that crosses the page fails with -EINVAL and leaves the cache untouched', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, ANON_GFN * 4096 + 0xff0, 16));
    const snap = { valid: w.gpc.valid, pfn: w.gpc.pfn, khva: w.gpc.khva, uhva: w.gpc.uhva };
    expect(w.gpc.check(32)).toBe(false);
    expect(run(w, w.vcpu, w.gpc.refresh(w.vcpu, 32))).toBe('EINVAL');
    expect(w.gpc).toMatchObject(snap);
    expect(w.gpc.check(16)).toBe(true);
  });

  it('R12: a memslot move fails check on the generation; refresh keeps the mapping (same hva)', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const { pfn, khva } = w.gpc;
    expect(
      run(
        w,
        w.vmm,
        w.vm.setMemslot(w.vmm, { slot: 1, gfn: 0x200, pages: 16, backing: 'anon', hva: ANON_HVA }),
      ),
    ).toBe(0);
    expect(w.gpc.check(8)).toBe(false);
    expect(w.gpc.valid).toBe(true);
    // The old gpa is now in no slot: refresh fails with -EFAULT and drops the mapping.
    expect(run(w, w.vcpu, w.gpc.refresh(w.vcpu, 8))).toBe('EFAULT');
    expect(w.gpc).toMatchObject({ valid: false, pfn: KVM_PFN_ERR_FAULT, khva: NULL_KHVA });
    expect(w.gpc.counters.unmapCalls).toBe(1);
    // Activate at the moved gpa: same hva, same page.
    expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x200 * 4096 + 0x40, 8))).toBe(0);
    expect(w.gpc.pfn).toBe(pfn);
    void khva;
  });

  it('a memslot replaced at a new hva: check fails, refresh picks the new hva and page', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    const oldPfn = w.gpc.pfn;
    run(w, w.vmm, w.vm.deleteMemslot(w.vmm, 1));
    const NEW_HVA = 0x7d00_0000_0000;
    run(
      w,
      w.vmm,
      w.vm.setMemslot(w.vmm, { slot: 1, gfn: ANON_GFN, pages: 16, backing: 'anon', hva: NEW_HVA }),
    );
    expect(w.gpc.check(8)).toBe(false);
    expect(run(w, w.vcpu, w.gpc.refresh(w.vcpu, 8))).toBe(0);
    expect(w.gpc.uhva).toBe(NEW_HVA + 0x40);
    expect(w.gpc.pfn).not.toBe(oldPfn);
    expect(w.gpc.counters).toMatchObject({ mapCalls: 2, unmapCalls: 1 });
  });

  it('R11: refresh during a memslot delete sees the invalid slot and fails with -EFAULT', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    expect(runUntil(w, w.vmm, w.vm.deleteMemslot(w.vmm, 1), 'synchronize-srcu')).toBe(true);
    expect(w.gpc.check(8)).toBe(false);
    expect(run(w, w.vcpu, w.gpc.refresh(w.vcpu, 8))).toBe('EFAULT');
    expect(w.gpc.khva).toBe(NULL_KHVA);
    finish(w, w.vmm);
    expect(w.gpc.generation).not.toBe(w.vm.memslots.generation);
  });
});
