import { ModelUsageError, runAlone } from '@khva/memory-core';
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
  handOut,
  on,
  ownedFrames,
  recordingSubscriber,
  type Setup,
  setup,
} from './helpers.ts';

const P = 4096;

/** A VM using every kind of memory the model has, touched every way it can be. */
function busyVm(s: Setup): void {
  const { m, vm } = s;
  addSlot(s, anonSlot(0, 0, 16, HVA_ANON));
  for (const i of [0, 3, 7]) vm.releasePage(vm.hvaToPfn(on(m, 0), HVA_ANON + i * P) as number);
  // MMAP | NO_DIRECT_MAP: the VMM faults pages in through its mapping; KVM hands pages out.
  const ndm = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: true }, 1, 0x100, 16, HVA_GMEM));
  enter(s);
  for (const i of [1, 2]) expect(m.access(on(m, 0), HVA_GMEM + i * P, 8, 'write').ok).toBe(true);
  handOut(s, ndm.slot, 0x105);
  ndm.file.allocate(10, 2);
  // Plain guest_memfd (no MMAP): the VMM's shared view at the hva is anonymous memory.
  const plain = addGmemSlot(
    s,
    gmemSlot({ mmap: false, noDirectMap: false }, 2, 0x200, 8, HVA_GMEM + 0x100000),
  );
  handOut(s, plain.slot, 0x200);
  vm.releasePage(vm.hvaToPfn(on(m, 0), HVA_GMEM + 0x100000) as number);
  // VMM memory outside any memslot, partly unmapped already.
  vm.mapAnon(HVA_OTHER, 8);
  vm.releasePage(vm.hvaToPfn(on(m, 0), HVA_OTHER + P) as number);
  runAlone(vm.munmap(s.vmm, HVA_OTHER + 4 * P, 2));
  // A kernel thread touched a guest page through the direct map before it was handed out.
  expect(m.access(on(m, 3), m.pageAddress(ndm.file.folios.get(10)!), 8, 'read').ok).toBe(true);
}

describe('VM destroy', () => {
  it('leaves no frame owned by the VM, no VA, and only the direct-map split pages as page tables', () => {
    const s = setup({ flushOnZap: false });
    const c = s.m.ledger.counters;
    const before = { pt: c.pageTablePages, splits: c.directMapSplits, vaBytes: c.vaBytes };
    busyVm(s);
    expect(ownedFrames(s).length).toBeGreaterThan(10);
    expect(c.pageTablePages - before.pt).toBeGreaterThan(c.directMapSplits - before.splits);
    expect(s.m.directMap.absentPages).toBe(3); // indexes 1, 2 (VMM faults) and 5 (handed out); 10-11 only allocated

    s.kvm.destroyVm(s.vm);

    expect(ownedFrames(s)).toEqual([]);
    expect(s.m.vmalloc.bytesInUse).toBe(0);
    expect(c.vaBytes).toBe(before.vaBytes);
    const splits = c.directMapSplits - before.splits;
    expect(splits).toBe(2); // one 1 GiB and one 2 MiB leaf: never merged back
    expect(c.pageTablePages).toBe(before.pt + splits);
    // Every folio went back to the direct map; nothing of the guest's is reachable any more.
    expect(s.m.directMap.absentPages).toBe(0);
    expect(s.m.oracle.figures()).toMatchObject({ exposedNow: 0, foreignExposedNow: 0 });
    expect(s.vm.alive).toBe(false);
    expect(s.vm.mm.alive).toBe(false);
    expect(s.m.mms.has(s.vm.mm.id)).toBe(false);
    expect(s.kvm.vms.has(s.vm.id)).toBe(false);
    expect(s.vm.gmemFiles.every((f) => f.released && f.folios.size === 0)).toBe(true);
    expect(s.m.cpu(0).loadedMm).toBeNull();
    // Idempotent.
    s.kvm.destroyVm(s.vm);
    expect(c.pageTablePages).toBe(before.pt + splits);
  });

  it('is refused while a cache is still registered, and works once it is gone', () => {
    const s = setup();
    busyVm(s);
    const owned = ownedFrames(s).length;
    const { sub } = recordingSubscriber(s.vm);
    expect(() => s.kvm.destroyVm(s.vm)).toThrow(ModelUsageError);
    expect(() => s.kvm.destroyVm(s.vm)).toThrow(/caches still active/);
    expect(s.vm.alive).toBe(true);
    expect(ownedFrames(s)).toHaveLength(owned);
    s.vm.gpcList.delete(sub);
    s.kvm.destroyVm(s.vm);
    expect(ownedFrames(s)).toEqual([]);
  });

  it('destroying one VM leaves another VM’s memory and page tables alone', () => {
    const s = setup();
    const other = s.kvm.createVm('other');
    const t = s.kvm.scheduler.spawn({ name: 'other-vmm', kind: 'host', cpu: 1, mm: other.mm });
    runAlone(other.setMemslot(t, anonSlot(0, 0, 4, HVA_ANON)));
    const pfn = other.hvaToPfn(on(s.m, 1), HVA_ANON) as number;
    const otherTables = other.mm.userPt.tablePages;
    busyVm(s);
    s.kvm.destroyVm(s.vm);
    expect(s.m.mem.get(pfn)?.owner).toBe(other.id);
    expect(ownedFrames(s, other)).toEqual([pfn]);
    expect(s.m.ledger.counters.pageTablePages).toBe(otherTables + s.m.ledger.counters.directMapSplits);
    expect(s.kvm.vms.has(other.id)).toBe(true);
  });
});
