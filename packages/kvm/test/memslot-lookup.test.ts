import { describe, expect, it } from 'vitest';
import { isErrorHva, isGmemOnly, KVM_HVA_ERR_BAD } from '../src/index.ts';
import {
  addGmemSlot,
  addSlot,
  anonSlot,
  gmemSlot,
  HVA_ANON,
  HVA_GMEM,
  hostThread,
  setup,
} from './helpers.ts';

describe('gfn-to-memslot and gfn-to-hva', () => {
  it('finds the slot holding a gfn and the hva inside userspace_addr, bounds included', () => {
    const s = setup();
    const { slot } = addSlot(s, anonSlot(0, 0x10, 16));
    const ms = s.vm.memslots;
    expect(ms.gfnToMemslot(0x10)).toBe(slot);
    expect(ms.gfnToMemslot(0x1f)).toBe(slot);
    expect(ms.gfnToHva(slot, 0x10)).toBe(HVA_ANON);
    expect(ms.gfnToHva(slot, 0x1f)).toBe(HVA_ANON + 15 * 4096);
    expect(isErrorHva(ms.gfnToHva(slot, 0x1f))).toBe(false);
  });

  it('no slot: no memslot and the error hva (KVM_HVA_ERR_BAD)', () => {
    const s = setup();
    addSlot(s, anonSlot(0, 0x10, 16));
    const ms = s.vm.memslots;
    for (const gfn of [0xf, 0x20, 0x1000]) {
      expect(ms.gfnToMemslot(gfn)).toBeNull();
      expect(ms.gfnToHva(ms.gfnToMemslot(gfn), gfn)).toBe(KVM_HVA_ERR_BAD);
    }
    expect(isErrorHva(KVM_HVA_ERR_BAD)).toBe(true);
  });

  it('an invalid slot (being deleted) is still found but gives the error hva', () => {
    const s = setup();
    addSlot(s, anonSlot(0, 0x10, 16));
    const t = hostThread(s, 'deleter');
    t.start(s.vm.deleteMemslot(t, 0));
    s.kvm.scheduler.step(t);
    const slot = s.vm.memslots.gfnToMemslot(0x12);
    expect(slot).toMatchObject({ id: 0, invalid: true });
    expect(s.vm.memslots.gfnToHva(slot, 0x12)).toBe(KVM_HVA_ERR_BAD);
    s.kvm.scheduler.runToCompletion(t);
    expect(s.vm.memslots.gfnToMemslot(0x12)).toBeNull();
  });

  it('a guest_memfd slot translates through the hva where the VMM maps the file', () => {
    const s = setup();
    const mmap = addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: true }, 0, 0x100, 16, HVA_GMEM)).slot;
    const plain = addGmemSlot(
      s,
      gmemSlot({ mmap: false, noDirectMap: false }, 1, 0x200, 16, HVA_GMEM + 0x100000),
    ).slot;
    expect(s.vm.memslots.gfnToHva(mmap, 0x105)).toBe(HVA_GMEM + 5 * 4096);
    expect(isGmemOnly(mmap)).toBe(true);
    expect(isGmemOnly(plain)).toBe(false);
    expect(s.vm.memslots.hvaToMemslot(HVA_GMEM + 0x100000 + 4096)).toBe(plain);
    expect(s.vm.memslots.overlapsHva(HVA_GMEM + 15 * 4096, HVA_GMEM + 16 * 4096)).toBe(true);
    expect(s.vm.memslots.overlapsHva(HVA_GMEM + 16 * 4096, HVA_GMEM + 0x100000)).toBe(false);
  });
});
