import { describe, expect, it } from 'vitest';
import { ANON_GFN, ANON_HVA, finish, run, runUntil, world } from './support/world.ts';

const GPA = ANON_GFN * 4096 + 0x40;

// hva_to_pfn_retry spins (cond_resched, look up again) while mn_active_invalidate_count is raised;
// the model parks the refresh and charges the turns it would have spun (gpcRetrySpin).
describe('the retry loop spins while an invalidation is active', () => {
  /** A refresh that meets an invalidation still in flight at its re-check; returns the cycles the VMM's invalidation took. */
  function spinAgainstMigration(calibration?: Record<string, number>) {
    const w = world({}, calibration ? { calibration } : {});
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    w.gpc.valid = false;
    runUntil(w, w.vcpu, w.gpc.refresh(w.vcpu, 8), 'mapped');
    expect(runUntil(w, w.vmm, w.vm.migratePage(w.vmm, ANON_HVA), 'mmu-notifier-started')).toBe(true);
    for (let i = 0; i < 10 && w.vcpu.runnable; i++) w.kvm.scheduler.step(w.vcpu);
    expect(w.vcpu.runnable).toBe(false);
    const ledger = w.kvm.machine.ledger;
    const before = ledger.cycles;
    finish(w, w.vmm);
    const invalidation = ledger.cycles - before;
    expect(finish(w, w.vcpu)).toBe(0);
    expect(w.gpc.valid).toBe(true);
    return { w, invalidation, charged: ledger.byRow.get('gpcRetrySpin') ?? 0 };
  }

  it('counts one turn per gpcRetrySpin cycles the invalidation ran, and charges them', () => {
    const { w, invalidation, charged } = spinAgainstMigration();
    const spins = w.gpc.counters.retrySpins;
    expect(invalidation).toBeGreaterThan(400);
    expect(spins).toBe(Math.ceil(invalidation / 400));
    expect(charged).toBe(spins * 400);
    expect(w.gpc.counters.retries).toBe(1);
  });

  it('a cheaper turn means more turns for the same invalidation', () => {
    const base = spinAgainstMigration().w.gpc.counters.retrySpins;
    const cheap = spinAgainstMigration({ gpcRetrySpin: 40 }).w.gpc.counters.retrySpins;
    expect(cheap).toBeGreaterThanOrEqual(9 * base);
  });

  it('does not spin when the retry finds no invalidation active (the sequence moved, the count is back to 0)', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    w.gpc.valid = false;
    runUntil(w, w.vcpu, w.gpc.refresh(w.vcpu, 8), 'mapped');
    expect(run(w, w.vmm, w.vm.migratePage(w.vmm, ANON_HVA))).toBe(0);
    expect(finish(w, w.vcpu)).toBe(0);
    expect(w.gpc.counters.retries).toBe(1);
    expect(w.gpc.counters.retrySpins).toBe(0);
    expect(w.kvm.machine.ledger.byRow.has('gpcRetrySpin')).toBe(false);
  });

  it('does not spin on a refresh no invalidation raced', () => {
    const w = world();
    run(w, w.vcpu, w.gpc.activate(w.vcpu, GPA, 8));
    expect(w.gpc.counters).toMatchObject({ retries: 0, retrySpins: 0 });
  });
});
