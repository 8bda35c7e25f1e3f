import { HOST, MIGRATE_MOVABLE } from '@khva/memory-core';
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
  on,
  setup,
} from './helpers.ts';

describe('GUP (hva_to_pfn)', () => {
  it('faults an anonymous page in from process context and takes a reference', () => {
    const s = setup();
    addSlot(s, anonSlot());
    const hva = HVA_ANON + 5 * 4096 + 123;
    expect(s.vm.mm.userPt.get((HVA_ANON + 5 * 4096) / 4096)).toBeUndefined();
    const pfn = s.vm.hvaToPfn(on(s.m, 1), hva);
    if (typeof pfn !== 'number') throw new Error(pfn.reason);
    expect(s.vm.mm.userPt.get((HVA_ANON + 5 * 4096) / 4096)?.pfn).toBe(pfn);
    expect(s.m.mem.get(pfn)).toMatchObject({ owner: s.vm.id, ownerMm: s.vm.mm.id, refcount: 2, tag: 'none' });
    s.vm.releasePage(pfn);
    expect(s.m.mem.get(pfn)?.refcount).toBe(1);
    // Present now: even an atomic caller (GUP-fast) gets it, without a new fault.
    expect(s.vm.hvaToPfn(on(s.m, 2, 'atomic'), hva)).toBe(pfn);
  });

  it('cannot fault in from atomic context, and fails where nothing is mapped', () => {
    const s = setup();
    addSlot(s, anonSlot());
    expect(s.vm.hvaToPfn(on(s.m, 0, 'atomic'), HVA_ANON)).toMatchObject({ errno: 'EFAULT' });
    expect(s.vm.hvaToPfn(on(s.m, 0, 'irq'), HVA_ANON)).toMatchObject({ errno: 'EFAULT' });
    expect(s.vm.mm.userPt.size).toBe(0);
    expect(s.vm.hvaToPfn(on(s.m, 0), HVA_OTHER)).toMatchObject({ errno: 'EFAULT' });
  });

  it('a faulted-in anonymous page is zeroed even if its frame held old data', () => {
    const s = setup();
    addSlot(s, anonSlot());
    // A movable page (page cache, say): freed, it is handed to the next movable request.
    const host = s.m.mem.alloc(HOST, 0, 'none', undefined, MIGRATE_MOVABLE);
    s.m.mem.write(host, 0, new Uint8Array([9, 9, 9, 9]));
    s.m.mem.putPage(host.pfn);
    const pfn = s.vm.hvaToPfn(on(s.m, 0), HVA_ANON);
    expect(pfn).toBe(host.pfn);
    expect(s.m.mem.read(s.m.mem.get(host.pfn)!, 0, 4)).toEqual(new Uint8Array(4));
  });

  it('works on an MMAP guest_memfd mapping without NO_DIRECT_MAP: the file’s folio, still in the direct map', () => {
    const s = setup();
    const { file } = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: false }));
    const pfn = s.vm.hvaToPfn(on(s.m, 0), HVA_GMEM + 3 * 4096);
    expect(typeof pfn).toBe('number');
    expect(file.folios.get(3)).toBe(pfn);
    expect(s.m.directMap.isPresent(pfn as number)).toBe(true);
  });

  it('is refused on a NO_DIRECT_MAP mapping, which kvm_gmem_get_pfn still serves', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: true }));
    expect(s.vm.hvaToPfn(on(s.m, 0), HVA_GMEM + 3 * 4096)).toMatchObject({
      errno: 'EFAULT',
      reason: expect.stringMatching(/GUP refused/),
    });
    expect(file.folios.size).toBe(0);
    expect(s.vm.mm.userPt.size).toBe(0);
    const pfn = s.vm.gmemGetPfn(on(s.m, 0), slot, 0x103);
    expect(pfn).toBe(file.folios.get(3));
    // Refused even once the folio exists and the VMM has it mapped.
    enter(s);
    expect(s.m.access(on(s.m, 0), HVA_GMEM + 3 * 4096, 8, 'read').ok).toBe(true);
    expect(s.vm.hvaToPfn(on(s.m, 0), HVA_GMEM + 3 * 4096)).toMatchObject({ errno: 'EFAULT' });
  });
});
