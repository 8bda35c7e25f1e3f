import { INVALID_GPA } from '@khva/kvm';
import { PAGE_SIZE, runAlone, USER_TOP } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { GfnToPfnCache, KVM_PFN_ERR_FAULT, NULL_KHVA } from '../src/gpc.ts';
import { ANON_GFN, ANON_HVA, GMEM_HVA, run, world } from './support/world.ts';

describe('activate and check', () => {
  it('kvm_gpc_activate WARNs on INVALID_GPA and kvm_gpc_activate_hva checks access_ok, both before any state changes', () => {
    const w = world();
    expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, INVALID_GPA, 8))).toBe('EINVAL');
    expect(w.gpc.counters.warnings).toBe(1);
    expect(w.gpc.active).toBe(false);
    expect(w.gpc.onList).toBe(false);
    // A range reaching past user space, a kernel address, a negative one: -EINVAL, no WARN.
    for (const uhva of [USER_TOP - 4, USER_TOP + PAGE_SIZE, -PAGE_SIZE]) {
      expect(run(w, w.vcpu, w.gpc.activateHva(w.vcpu, uhva, 8))).toBe('EINVAL');
    }
    expect(w.gpc.counters.warnings).toBe(1);
    expect(w.gpc.active).toBe(false);
    expect(run(w, w.vcpu, w.gpc.activateHva(w.vcpu, ANON_HVA, 8))).toBe(0);
  });

  it('activates a gpa on a gmem-only slot through kvm_gmem_get_pfn and caches a khva', () => {
    const w = world();
    expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1008, 8))).toBe(0);
    expect(w.gpc.active && w.gpc.valid).toBe(true);
    expect(w.gpc.uhva).toBe(GMEM_HVA + 0x1008);
    const folio = w.vm.memslots.slots.get(0)?.gmem?.folios.get(1);
    expect(w.gpc.pfn).toBe(folio);
    expect(w.gpc.khva % 4096).toBe(8);
    expect(w.gpc.check(8, w.vcpu.ctx)).toBe(true);
    // The page left the direct map when kvm_gmem_get_pfn handed it out.
    expect(w.kvm.machine.directMap.isPresent(w.gpc.pfn)).toBe(false);
    expect(w.gpc.counters.mapCalls).toBe(1);
  });

  it('rejects a length crossing the page before activating (current mainline)', () => {
    const w = world();
    expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, 0xff0, 32))).toBe('EINVAL');
    expect(w.gpc.active).toBe(false);
    expect(w.gpc.onList).toBe(false);
    expect(w.gpc.counters.mapCalls).toBe(0);
  });

  it('check fails in the kernel order: inactive, generation, length, invalid', () => {
    const w = world();
    expect(w.gpc.checkVerdict(8)).toBe('inactive');
    run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1ff0, 16));
    expect(w.gpc.checkVerdict(16)).toBe('ok');
    expect(w.gpc.checkVerdict(17)).toBe('length');
    w.gpc.valid = false;
    expect(w.gpc.checkVerdict(16)).toBe('invalid');
    w.gpc.valid = true;
    w.vm.memslots.generation += 2;
    expect(w.gpc.checkVerdict(16)).toBe('generation');
  });

  it('activates by hva on VMM memory through GUP, skipping the generation test', () => {
    const w = world();
    expect(run(w, w.vcpu, w.gpc.activateHva(w.vcpu, ANON_HVA + 0x2010, 8))).toBe(0);
    expect(w.gpc.gpa).toBe(-1);
    expect(w.gpc.memslot).toBeNull();
    expect(w.gpc.pfn).toBe(w.vm.mm.userPt.get((ANON_HVA + 0x2000) / 4096)?.pfn);
    w.vm.memslots.generation += 2;
    expect(w.gpc.check(8)).toBe(true);
  });

  it('fails to activate by hva on no-direct-map guest_memfd: GUP refuses the mapping (-EFAULT)', () => {
    const w = world({}, { vmmMapped: true });
    expect(run(w, w.vcpu, w.gpc.activateHva(w.vcpu, GMEM_HVA + 0x1000, 8))).toBe('EFAULT');
    expect(w.gpc.active).toBe(true);
    expect(w.gpc.valid).toBe(false);
    expect(w.gpc.pfn).toBe(KVM_PFN_ERR_FAULT);
    expect(w.gpc.khva).toBe(NULL_KHVA);
  });

  it('a gpa cache on the anon slot goes through GUP, not guest_memfd', () => {
    const w = world();
    expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, ANON_GFN * 4096, 8))).toBe(0);
    expect(w.kvm.machine.directMap.isPresent(w.gpc.pfn)).toBe(true);
    expect(w.gpc.khva).toBe(w.kvm.machine.pageAddress(w.gpc.pfn));
  });

  it('refresh on a never-activated cache hits the WARN and returns -EINVAL (R20)', () => {
    const w = world();
    const g = new GfnToPfnCache(w.vm, w.gpc.backend, 'shinfo');
    expect(run(w, w.vcpu, g.refresh(w.vcpu, 8))).toBe('EINVAL');
    expect(g.counters.warnings).toBe(1);
    // After a deactivate, gpa/uhva are kept: refresh fails cleanly on !active, no WARN.
    run(w, w.vcpu, g.activate(w.vcpu, 0x2000, 8));
    run(w, w.vcpu, g.deactivate(w.vcpu));
    expect(run(w, w.vcpu, g.refresh(w.vcpu, 8))).toBe('EINVAL');
    expect(g.counters.warnings).toBe(1);
  });

  it('re-activation with a new gpa is a refresh: the old mapping is unmapped once', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1000, 8));
    const first = w.gpc.pfn;
    expect(run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x3000, 8))).toBe(0);
    expect(w.gpc.pfn).not.toBe(first);
    expect(w.gpc.counters).toMatchObject({ mapCalls: 2, unmapCalls: 1 });
    expect(w.gpc.live).toHaveLength(1);
    void runAlone;
  });
});
