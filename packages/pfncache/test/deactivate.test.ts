import { describe, expect, it } from 'vitest';
import { KVM_PFN_ERR_FAULT, NULL_KHVA } from '../src/gpc.ts';
import { gpcUse } from '../src/use.ts';
import { finish, run, runUntil, world } from './support/world.ts';

describe('deactivate', () => {
  it("R8: deactivate during another thread's use waits for the reader; no use after unmap", () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1000, 8));
    const m = w.kvm.machine;
    // The reader holds the read lock after a successful check.
    expect(runUntil(w, w.vcpu, gpcUse(w.vcpu, w.gpc, { len: 8, op: 'write' }), 'holding-read-lock')).toBe(
      true,
    );
    // Deactivate takes refresh_lock and blocks on the write lock.
    w.vmm.start(w.gpc.deactivate(w.vmm));
    for (let i = 0; i < 5 && w.vmm.runnable; i++) w.kvm.scheduler.step(w.vmm);
    expect(w.vmm.done).toBe(false);
    expect(w.gpc.active).toBe(true);
    expect(w.gpc.counters.unmapCalls).toBe(0);
    // The reader finishes its access through a live mapping.
    const out = finish(w, w.vcpu) as { result: number; access: { ok: boolean; useAfterFree: boolean } };
    expect(out.result).toBe(0);
    expect(out.access).toMatchObject({ ok: true, useAfterFree: false });
    finish(w, w.vmm);
    expect(w.gpc).toMatchObject({ active: false, valid: false, pfn: KVM_PFN_ERR_FAULT, khva: NULL_KHVA });
    expect(w.gpc.counters).toMatchObject({ mapCalls: 1, unmapCalls: 1 });
    expect(w.gpc.live).toHaveLength(0);
    expect(w.vm.gpcList.size).toBe(0);
    expect(m.oopses).toHaveLength(0);
    expect(m.oracle.figures().useAfterFreeAccesses).toBe(0);
    // The next use fails check: inactive.
    const again = run(w, w.vcpu, gpcUse(w.vcpu, w.gpc, { len: 8, op: 'write', atomic: true }));
    expect(again).toMatchObject({ result: 'EWOULDBLOCK', verdict: 'inactive' });
  });

  it('deactivate is idempotent and unmaps exactly once', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, 0x1000, 8));
    run(w, w.vcpu, w.gpc.deactivate(w.vcpu));
    run(w, w.vcpu, w.gpc.deactivate(w.vcpu));
    expect(w.gpc.counters.unmapCalls).toBe(1);
    expect(w.gpc.violations.doubleUnmaps).toBe(0);
  });
});
