// Sequences of the kernel's own selftests (tools/testing/selftests/kvm/x86/xen_shinfo_test.c and
// guest_memfd_test.c), ported as scenario files of pfncache: each replays with every expect
// holding, and the racy one holds in every interleaving.
import { runScenario, type ScenarioRun } from '@khva/host/scenario';
import { describe, expect, it } from 'vitest';
import { explore } from '../src/index.ts';
import { load, pfncacheScenario, registry } from './support/world.ts';

const run = (name: string): ScenarioRun => {
  const r = runScenario(load(pfncacheScenario(name)), { registry });
  expect(r.ok, r.failure?.message).toBe(true);
  return r;
};
const step = (r: ScenarioRun, n: number) => r.trace[n - 1]!;

describe('xen_shinfo_test sequences', () => {
  it('TEST_EVTCHN_SLOWPATH: a memslot change sends the IRQ-context event to the slow path once; the refresh keeps the mapping', () => {
    const r = run('selftest-xen-evtchn-slowpath');
    expect(r.trace.map((t) => t.result)).toEqual([0, 0, 0, 'EWOULDBLOCK', 0, 0]);
    expect(step(r, 5).pfn).toBe(step(r, 1).pfn);
  });

  it('TEST_LOCKING_SEND_RACE: shared_info juggled by gfn and by hva against sends, in every interleaving', () => {
    run('selftest-xen-shinfo-juggle');
    const r = explore(load(pfncacheScenario('selftest-xen-shinfo-juggle')), { registry });
    expect(r.counterexample).toBeUndefined();
    expect(r.exhaustive).toBe(true);
    expect(r.explored).toBeGreaterThan(100);
  });

  it('SET_VCPU_INFO on guest_memfd: re-pointed by hva, kept (not stale), then unrefreshable after an invalidation', () => {
    const r = run('selftest-xen-vcpu-info-hva');
    expect(step(r, 2)).toMatchObject({ result: 0, valid: true, pfn: step(r, 1).pfn, violations: [] });
    expect(step(r, 5)).toMatchObject({ result: 'EFAULT', valid: false });
  });
});

describe('guest_memfd_test sequences', () => {
  it('test_mmap_supported: a hole in page 0 gives that cache a new folio and leaves page 1 alone', () => {
    const r = run('selftest-gmem-mmap-punch');
    const page0 = step(r, 1).pfn;
    const page1 = step(r, 2).pfn;
    expect(step(r, 6)).toMatchObject({ cache: 'page1', valid: true, pfn: page1 });
    expect(step(r, 7).pfn).not.toBe(page0);
    expect(step(r, 7).pfn).not.toBe(page1);
  });

  it('test_guest_memfd_guest: guest and VMM hold one folio, and the guest keeps it after the VMM unmaps', () => {
    const r = run('selftest-gmem-guest-vmm');
    expect(step(r, 3).pfn).toBe(step(r, 1).pfn);
    expect(step(r, 6)).toMatchObject({ cache: 'guest', valid: true, pfn: step(r, 1).pfn });
    expect(step(r, 7)).toMatchObject({ cache: 'vmmview', result: 'EFAULT' });
  });
});
