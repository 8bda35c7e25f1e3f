import { FREE, runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import {
  addGmemSlot,
  gmemSlot,
  HVA_GMEM,
  handOut,
  hostThread,
  on,
  recordingSubscriber,
  setup,
  stepTo,
} from './helpers.ts';

const P = 4096;

describe('guest_memfd invalidation (punch-hole, release, attribute changes)', () => {
  it('punch-hole: invalidate begin before the folio is freed, invalidate end after', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }));
    const pfn = handOut(s, slot, 0x101);
    s.vm.events = [];
    expect(runAlone(file.punchHole(s.vmm, 1, 1))).toBe(0);
    expect(s.vm.events).toEqual([
      'gmem0: invalidate begin [1, 2)',
      `gmem0: free index 1 pfn ${pfn}`,
      'gmem0: invalidate end [1, 2)',
    ]);
  });

  it('between begin and end the folio is still allocated and the counts are raised; end bumps the sequence', () => {
    const s = setup({ gmemInvalidation: true });
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }));
    const pfn = handOut(s, slot, 0x101);
    const seq0 = s.vm.mmuInvalidateSeq;
    const t = hostThread(s, 'puncher', 1);
    t.start(file.punchHole(t, 1, 1));
    stepTo(s, t, 'gmem-invalidate-begun');
    expect(s.m.mem.get(pfn)?.owner).toBe(s.vm.id);
    expect(s.m.directMap.isPresent(pfn)).toBe(false);
    expect(s.vm.activeInvalidateCount).toBe(1);
    expect(s.vm.mmuInvalidateInProgress).toBe(1);
    expect(s.vm.mmuInvalidateSeq).toBe(seq0);
    s.kvm.scheduler.runToCompletion(t);
    expect(t.result).toBe(0);
    expect(s.m.mem.get(pfn)?.owner).toBe(FREE);
    expect(s.m.directMap.isPresent(pfn)).toBe(true);
    expect(s.vm.activeInvalidateCount).toBe(0);
    expect(s.vm.mmuInvalidateInProgress).toBe(0);
    expect(s.vm.mmuInvalidateSeq).toBe(seq0 + 1);
  });

  it('gmemInvalidation on: subscribers get the slot’s hva range while the active count is raised', () => {
    const s = setup({ gmemInvalidation: true });
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }, 0, 0x100));
    handOut(s, slot, 0x102);
    const { calls } = recordingSubscriber(s.vm);
    runAlone(file.punchHole(s.vmm, 2, 2));
    // The caches are walked before kvm_mmu_invalidate_begin, as the RFC v2/v3 hook orders it.
    expect(calls).toEqual([{ start: HVA_GMEM + 2 * P, end: HVA_GMEM + 4 * P, active: 1, inProgress: 0 }]);
    expect(s.vm.activeInvalidateCount).toBe(0);
  });

  it('gmemInvalidation off (RFC v1): an unmapped file never reaches a subscriber and leaves the active count alone', () => {
    for (const spec of [
      gmemSlot({ mmap: false, noDirectMap: true }),
      { ...gmemSlot({ mmap: true, noDirectMap: true }), vmmMapped: false },
    ]) {
      const s = setup({ gmemInvalidation: false });
      const { slot, file } = addGmemSlot(s, spec);
      expect(file.userMappings).toHaveLength(0);
      handOut(s, slot, 0x101);
      const { calls } = recordingSubscriber(s.vm);
      const seq0 = s.vm.mmuInvalidateSeq;
      const t = hostThread(s, 'puncher', 1);
      t.start(file.punchHole(t, 1, 1));
      stepTo(s, t, 'gmem-invalidate-begun');
      expect(s.vm.activeInvalidateCount).toBe(0);
      expect(s.vm.mmuInvalidateInProgress).toBe(1);
      s.kvm.scheduler.runToCompletion(t);
      expect(calls).toEqual([]);
      expect(s.vm.mmuInvalidateSeq).toBe(seq0 + 1);
    }
  });

  it('gmemInvalidation off, file mapped by the VMM: the subscriber is reached through the mmu notifier', () => {
    const s = setup({ gmemInvalidation: false });
    const { file } = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: false }));
    // The VMM has the page mapped; truncation must zap that PTE.
    const pfn = s.vm.hvaToPfn(on(s.m, 0), HVA_GMEM + P);
    s.vm.releasePage(pfn as number);
    expect(s.vm.mm.userPt.get((HVA_GMEM + P) / P)).toBeDefined();
    const { calls } = recordingSubscriber(s.vm);
    const seq0 = s.vm.mmuInvalidateSeq;
    runAlone(file.punchHole(s.vmm, 1, 1));
    // gmem begin already raised in-progress; the notifier raised the active count.
    expect(calls).toEqual([{ start: HVA_GMEM + P, end: HVA_GMEM + 2 * P, active: 1, inProgress: 1 }]);
    expect(s.vm.mm.userPt.get((HVA_GMEM + P) / P)).toBeUndefined();
    // Both the notifier's end and the gmem end bump the sequence.
    expect(s.vm.mmuInvalidateSeq).toBe(seq0 + 2);
    expect([s.vm.activeInvalidateCount, s.vm.mmuInvalidateInProgress]).toEqual([0, 0]);
  });

  it('gmemInvalidation on, file mapped: the gmem hook and then the nested mmu notifier both call it', () => {
    const s = setup({ gmemInvalidation: true });
    const { file } = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: true }));
    const { calls } = recordingSubscriber(s.vm);
    runAlone(file.punchHole(s.vmm, 0, 1));
    expect(calls).toEqual([
      { start: HVA_GMEM, end: HVA_GMEM + P, active: 1, inProgress: 0 },
      { start: HVA_GMEM, end: HVA_GMEM + P, active: 2, inProgress: 1 },
    ]);
  });

  it('begin and end stay balanced when the slot is deleted between them', () => {
    const s = setup({ gmemInvalidation: false });
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }));
    handOut(s, slot, 0x100);
    const seq0 = s.vm.mmuInvalidateSeq;
    const t = hostThread(s, 'puncher', 1);
    t.start(file.punchHole(t, 0, 1));
    stepTo(s, t, 'gmem-invalidate-begun');
    expect(s.vm.mmuInvalidateInProgress).toBe(1);
    // Nothing raised the active count, so the memslot swap does not wait.
    runAlone(s.vm.deleteMemslot(s.vmm, 0));
    s.kvm.scheduler.runToCompletion(t);
    expect(s.vm.mmuInvalidateInProgress).toBe(0);
    expect(s.vm.mmuInvalidateSeq).toBe(seq0 + 1);
  });

  it('a range bound to no memslot neither raises in-progress nor bumps the sequence', () => {
    const s = setup({ gmemInvalidation: true });
    const file = s.vm.createGmem(8, { mmap: false, noDirectMap: true });
    const { calls } = recordingSubscriber(s.vm);
    runAlone(file.punchHole(s.vmm, 0, 8));
    expect(s.vm.mmuInvalidateSeq).toBe(0);
    expect(calls).toEqual([]);
  });

  it('a hole at or past the end of the file succeeds (kvm_gmem_punch_hole has no size check), freeing only what exists', () => {
    const s = setup({ gmemInvalidation: true });
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }, 0, 0x100, 16));
    const pfn = handOut(s, slot, 0x100 + 15);
    // Straddling the end: the folio inside goes, the part beyond has nothing to free.
    expect(runAlone(file.punchHole(s.vmm, 15, 8))).toBe(0);
    expect(file.folios.has(15)).toBe(false);
    expect(s.m.mem.get(pfn)?.owner).toBe(FREE);
    // Entirely beyond the end, and at the end.
    expect(runAlone(file.punchHole(s.vmm, 16, 1))).toBe(0);
    expect(runAlone(file.punchHole(s.vmm, 100, 4))).toBe(0);
    // fallocate's own checks stay: an empty or negative range is -EINVAL.
    expect(runAlone(file.punchHole(s.vmm, 0, 0))).toMatchObject({ errno: 'EINVAL' });
    expect(runAlone(file.punchHole(s.vmm, -1, 1))).toMatchObject({ errno: 'EINVAL' });
    // Allocation still checks i_size.
    expect(file.allocate(15, 2)).toMatchObject({ errno: 'EINVAL' });
  });

  it('release frees and restores every folio inside one begin/end over the whole file', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }, 0, 0x100, 16));
    const pfns = [0, 5, 9].map((i) => handOut(s, slot, 0x100 + i));
    s.vm.events = [];
    runAlone(file.release(s.vmm));
    expect(s.vm.events[0]).toBe('gmem0: invalidate begin [0, 16)');
    expect(s.vm.events.at(-1)).toBe('gmem0: invalidate end [0, 16)');
    expect(s.vm.events.filter((e) => e.includes(': free index'))).toHaveLength(3);
    for (const pfn of pfns) {
      expect(s.m.directMap.isPresent(pfn)).toBe(true);
      expect(s.m.mem.get(pfn)?.owner).toBe(FREE);
    }
    expect(file.released).toBe(true);
  });

  it('shared/private conversion invalidates by hva under the active count (on) and bumps the sequence', () => {
    for (const gmemInvalidation of [true, false]) {
      const s = setup({ gmemInvalidation });
      addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }, 0, 0x100));
      const { calls } = recordingSubscriber(s.vm);
      expect(runAlone(s.vm.setMemoryAttributes(s.vmm, 0x104, 1, true))).toBe(0);
      expect(s.vm.privateGfns.has(0x104)).toBe(true);
      expect(s.vm.mmuInvalidateSeq).toBe(1);
      expect(calls).toEqual(
        gmemInvalidation
          ? [{ start: HVA_GMEM + 4 * P, end: HVA_GMEM + 5 * P, active: 1, inProgress: 0 }]
          : [],
      );
      expect(s.vm.activeInvalidateCount).toBe(0);
    }
  });
});
