import { FREE, runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import {
  addGmemSlot,
  addSlot,
  anonSlot,
  enter,
  gmemSlot,
  HVA_ANON,
  HVA_GMEM,
  HVA_OTHER,
  hostThread,
  on,
  recordingSubscriber,
  setup,
  stepTo,
} from './helpers.ts';

const P = 4096;

function faultIn(s: ReturnType<typeof setup>, hva: number): number {
  const pfn = s.vm.hvaToPfn(on(s.m, 0), hva);
  if (typeof pfn !== 'number') throw new Error(pfn.reason);
  s.vm.releasePage(pfn);
  return pfn;
}

describe('mmu-notifier invalidation (munmap of VMM memory)', () => {
  it('raises the active count and in-progress for its duration and bumps the sequence at the end', () => {
    const s = setup();
    addSlot(s, anonSlot());
    const pfn = faultIn(s, HVA_ANON + 2 * P);
    const { calls } = recordingSubscriber(s.vm);
    const seq0 = s.vm.mmuInvalidateSeq;
    const t = hostThread(s, 'unmapper', 1);
    t.start(s.vm.munmap(t, HVA_ANON + 2 * P, 1));
    stepTo(s, t, 'mmu-notifier-started');
    expect(s.vm.activeInvalidateCount).toBe(1);
    expect(s.vm.mmuInvalidateInProgress).toBe(1);
    expect(s.vm.mmuInvalidateSeq).toBe(seq0);
    // Caches were invalidated before kvm_mmu_invalidate_begin, and before the PTE goes.
    expect(calls).toEqual([{ start: HVA_ANON + 2 * P, end: HVA_ANON + 3 * P, active: 1, inProgress: 0 }]);
    expect(s.vm.mm.userPt.get((HVA_ANON + 2 * P) / P)?.pfn).toBe(pfn);
    s.kvm.scheduler.runToCompletion(t);
    expect(t.result).toBe(0);
    expect([s.vm.activeInvalidateCount, s.vm.mmuInvalidateInProgress]).toEqual([0, 0]);
    expect(s.vm.mmuInvalidateSeq).toBe(seq0 + 1);
    expect(s.vm.mm.userPt.get((HVA_ANON + 2 * P) / P)).toBeUndefined();
    expect(s.m.mem.get(pfn)?.owner).toBe(FREE);
  });

  it('outside every memslot: count raised and caches called, but no in-progress and no sequence bump', () => {
    const s = setup();
    addSlot(s, anonSlot());
    s.vm.mapAnon(HVA_OTHER, 4);
    faultIn(s, HVA_OTHER);
    const { calls } = recordingSubscriber(s.vm);
    const t = hostThread(s, 'unmapper', 1);
    t.start(s.vm.munmap(t, HVA_OTHER, 4));
    stepTo(s, t, 'mmu-notifier-started');
    expect(s.vm.activeInvalidateCount).toBe(1);
    expect(s.vm.mmuInvalidateInProgress).toBe(0);
    s.kvm.scheduler.runToCompletion(t);
    expect(calls).toEqual([{ start: HVA_OTHER, end: HVA_OTHER + 4 * P, active: 1, inProgress: 0 }]);
    expect(s.vm.mmuInvalidateSeq).toBe(0);
    expect(s.vm.activeInvalidateCount).toBe(0);
  });

  it('the zap flushes the VMM mm’s TLB entries, with IPIs only to CPUs running that mm', () => {
    const s = setup();
    addSlot(s, anonSlot());
    faultIn(s, HVA_ANON);
    // VMM threads on CPUs 0 and 1 touch the page: both CPUs run the VMM's mm and cache it.
    for (const t of [s.vmm, hostThread(s, 'vmm1', 1)]) {
      expect(s.m.access(enter(s, t), HVA_ANON, 8, 'read').ok).toBe(true);
    }
    const c0 = { ...s.m.ledger.counters };
    runAlone(s.vm.munmap(s.vmm, HVA_ANON, 1));
    expect(s.m.ledger.counters.tlbFlushesMm - c0.tlbFlushesMm).toBe(1);
    expect(s.m.ledger.counters.ipis - c0.ipis).toBe(1);
    expect(s.m.cpu(1).tlb.lookup(s.vm.mm.id, HVA_ANON / P)).toBeUndefined();
  });

  it('munmap of a guest_memfd mapping leaves the folios in the file (the page cache holds them)', () => {
    const s = setup({ gmemInvalidation: false });
    const { file } = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: false }));
    const pfn = faultIn(s, HVA_GMEM);
    expect(runAlone(s.vm.munmap(s.vmm, HVA_GMEM, 16))).toBe(0);
    expect(s.vm.mm.findVma(HVA_GMEM)).toBeUndefined();
    expect(file.folios.get(0)).toBe(pfn);
    expect(s.m.mem.get(pfn)).toMatchObject({ owner: s.vm.id, refcount: 1 });
    expect(file.userMappings).toEqual([]);
    // No longer mapped: truncation reaches no cache through the mmu notifier, and frees the folio.
    const { calls } = recordingSubscriber(s.vm);
    runAlone(file.punchHole(s.vmm, 0, 1));
    expect(calls).toEqual([]);
    expect(s.m.mem.get(pfn)?.owner).toBe(FREE);
  });

  it('a partial munmap splits the gmem mapping; each piece keeps its file offset', () => {
    const s = setup({ gmemInvalidation: false });
    const { file } = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: false }));
    runAlone(s.vm.munmap(s.vmm, HVA_GMEM + 4 * P, 4));
    expect(file.userMappings).toEqual([
      { hva: HVA_GMEM, pgoff: 0, pages: 4 },
      { hva: HVA_GMEM + 8 * P, pgoff: 8, pages: 8 },
    ]);
    const pfn = faultIn(s, HVA_GMEM + 12 * P);
    expect(file.folios.get(12)).toBe(pfn);
    expect(s.vm.hvaToPfn(on(s.m, 0), HVA_GMEM + 5 * P)).toMatchObject({ errno: 'EFAULT' });
    const { calls } = recordingSubscriber(s.vm);
    runAlone(file.punchHole(s.vmm, 2, 10));
    expect(calls.map((c) => [c.start, c.end])).toEqual([
      [HVA_GMEM + 2 * P, HVA_GMEM + 4 * P],
      [HVA_GMEM + 8 * P, HVA_GMEM + 12 * P],
    ]);
  });

  it('rejects a misaligned or empty munmap', () => {
    const s = setup();
    expect(runAlone(s.vm.munmap(s.vmm, HVA_ANON + 1, 1))).toMatchObject({ errno: 'EINVAL' });
    expect(runAlone(s.vm.munmap(s.vmm, HVA_ANON, 0))).toMatchObject({ errno: 'EINVAL' });
    expect(s.vm.activeInvalidateCount).toBe(0);
  });
});
