import { FREE, HOST, MIGRATE_MOVABLE, runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import {
  addGmemSlot,
  addSlot,
  anonSlot,
  gmemSlot,
  HVA_ANON,
  HVA_GMEM,
  hostThread,
  on,
  recordingSubscriber,
  setup,
  stepTo,
} from './helpers.ts';

const P = 4096;

describe('page migration (migrate_pages under the mmu notifier)', () => {
  it('moves the contents to a new frame, remaps the hva and frees the old frame', () => {
    const s = setup();
    addSlot(s, anonSlot());
    const hva = HVA_ANON + 3 * P;
    const old = s.vm.hvaToPfn(on(s.m, 0), hva) as number;
    s.vm.releasePage(old);
    s.m.mem.write(s.m.mem.get(old)!, 100, new Uint8Array([1, 2, 3]));
    const { calls } = recordingSubscriber(s.vm);
    const seq0 = s.vm.mmuInvalidateSeq;
    const t = hostThread(s, 'migrator', 1);
    t.start(s.vm.migratePage(t, hva + 17));
    stepTo(s, t, 'mmu-notifier-started');
    expect(s.vm.activeInvalidateCount).toBe(1);
    expect(s.vm.mm.userPt.get(hva / P)?.pfn).toBe(old);
    s.kvm.scheduler.runToCompletion(t);
    expect(t.result).toBe(0);
    const fresh = s.vm.mm.userPt.get(hva / P)!.pfn;
    expect(fresh).not.toBe(old);
    expect(s.m.mem.read(s.m.mem.get(fresh)!, 100, 3)).toEqual(new Uint8Array([1, 2, 3]));
    expect(s.m.mem.get(fresh)).toMatchObject({
      owner: s.vm.id,
      ownerMm: s.vm.mm.id,
      tag: 'none',
      refcount: 1,
    });
    expect(s.m.mem.get(old)?.owner).toBe(FREE);
    expect(calls).toEqual([{ start: hva, end: hva + P, active: 1, inProgress: 0 }]);
    expect(s.vm.mmuInvalidateSeq).toBe(seq0 + 1);
    expect(s.vm.hvaToPfn(on(s.m, 2), hva)).toBe(fresh);
  });

  it('a never-written page arrives zeroed, not with what the new frame held before', () => {
    const s = setup();
    addSlot(s, anonSlot());
    const old = s.vm.hvaToPfn(on(s.m, 0), HVA_ANON) as number;
    s.vm.releasePage(old);
    // A movable page (page cache, say): freed, it is handed to the next movable request.
    const junk = s.m.mem.alloc(HOST, 0, 'none', undefined, MIGRATE_MOVABLE);
    s.m.mem.write(junk, 0, new Uint8Array([0xee, 0xee]));
    s.m.mem.putPage(junk.pfn);
    runAlone(s.vm.migratePage(s.vmm, HVA_ANON));
    const fresh = s.vm.mm.userPt.get(HVA_ANON / P)!.pfn;
    expect(fresh).toBe(junk.pfn);
    expect(s.m.mem.read(s.m.mem.get(fresh)!, 0, 2)).toEqual(new Uint8Array(2));
  });

  it('refuses guest_memfd folios (EBUSY), unmapped addresses and absent pages (EFAULT)', () => {
    const s = setup();
    addSlot(s, anonSlot());
    addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: false }, 1));
    s.vm.hvaToPfn(on(s.m, 0), HVA_GMEM);
    expect(runAlone(s.vm.migratePage(s.vmm, HVA_GMEM))).toMatchObject({ errno: 'EBUSY' });
    expect(runAlone(s.vm.migratePage(s.vmm, HVA_ANON + 0x1000_0000))).toMatchObject({ errno: 'EFAULT' });
    expect(runAlone(s.vm.migratePage(s.vmm, HVA_ANON + 5 * P))).toMatchObject({ errno: 'EFAULT' });
    expect(s.vm.mmuInvalidateSeq).toBe(0);
  });
});
