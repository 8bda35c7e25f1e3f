import { runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { GEN_UPDATE_IN_PROGRESS, KVM_ADDRESS_SPACE_NUM, KVM_HVA_ERR_BAD } from '../src/index.ts';
import {
  addGmemSlot,
  addSlot,
  anonSlot,
  gmemSlot,
  HVA_ANON,
  HVA_OTHER,
  hostThread,
  ok,
  setup,
  stepTo,
} from './helpers.ts';

const IP = GEN_UPDATE_IN_PROGRESS;

describe('memslot generation (kvm_swap_active_memslots)', () => {
  it('creating a slot bumps the generation by the number of address spaces (+2 on x86)', () => {
    const s = setup();
    expect(s.vm.memslots.generation).toBe(0);
    expect(runAlone(s.vm.setMemslot(s.vmm, anonSlot(0, 0)))).toBe(0);
    expect(KVM_ADDRESS_SPACE_NUM).toBe(2);
    expect(s.vm.memslots.generation).toBe(2);
    ok(s.vm.setMemslot(s.vmm, anonSlot(1, 0x100, 16, HVA_ANON + 0x100_0000)));
    expect(s.vm.memslots.generation).toBe(4);
  });

  it('a create publishes the slot with generation|IN_PROGRESS during synchronize_srcu', () => {
    const s = setup();
    const t = hostThread(s, 'setter');
    t.start(s.vm.setMemslot(t, anonSlot(0, 0)));
    s.kvm.scheduler.step(t);
    expect(t.lastYield).toMatchObject({ kind: 'sleep', label: 'synchronize-srcu' });
    expect(s.vm.memslots.generation).toBe(0 + IP);
    // The new set is already published: lookups find the slot while the generation is transient.
    expect(s.vm.memslots.gfnToMemslot(3)?.id).toBe(0);
    s.kvm.scheduler.step(t);
    expect(t.done).toBe(true);
    expect(t.result).toBe(0);
    expect(s.vm.memslots.generation).toBe(2);
  });

  it('delete goes through the invalid slot: two swaps, each with its in-progress value, +4 in all', () => {
    const s = setup();
    addSlot(s, anonSlot(0, 0));
    const t = hostThread(s, 'deleter');
    t.start(s.vm.deleteMemslot(t, 0));
    const seen: number[] = [];
    const slotState: Array<string> = [];
    while (!t.done) {
      s.kvm.scheduler.step(t);
      seen.push(s.vm.memslots.generation);
      const slot = s.vm.memslots.gfnToMemslot(0);
      slotState.push(slot ? (slot.invalid ? 'invalid' : 'valid') : 'gone');
    }
    expect(seen).toEqual([2 + IP, 4 + IP, 6]);
    expect(slotState).toEqual(['invalid', 'gone', 'gone']);
    expect(t.result).toBe(0);
    // Run alone, the transient values pass unseen: +4 from start to end.
    addSlot(s, anonSlot(0, 0));
    expect(s.vm.memslots.generation).toBe(8);
    ok(s.vm.deleteMemslot(s.vmm, 0));
    expect(s.vm.memslots.generation).toBe(12);
  });

  it('move goes through the invalid slot too and ends +4, at the new gfn with the same hva', () => {
    const s = setup();
    addSlot(s, anonSlot(0, 0));
    const t = hostThread(s, 'mover');
    t.start(s.vm.setMemslot(t, anonSlot(0, 0x40)));
    const seen: number[] = [];
    s.kvm.scheduler.step(t);
    seen.push(s.vm.memslots.generation);
    expect(s.vm.memslots.gfnToMemslot(0)?.invalid).toBe(true);
    expect(s.vm.memslots.gfnToHva(s.vm.memslots.gfnToMemslot(0), 0)).toBe(KVM_HVA_ERR_BAD);
    while (!t.done) {
      s.kvm.scheduler.step(t);
      seen.push(s.vm.memslots.generation);
    }
    expect(seen).toEqual([2 + IP, 4 + IP, 6]);
    expect(s.vm.memslots.gfnToMemslot(0)).toBeNull();
    const moved = s.vm.memslots.gfnToMemslot(0x40);
    expect(moved).toMatchObject({ id: 0, baseGfn: 0x40, invalid: false, userspaceAddr: HVA_ANON });
    expect(s.vm.memslots.gfnToHva(moved, 0x41)).toBe(HVA_ANON + 4096);
  });

  it('a change that changes nothing does not swap', () => {
    const s = setup();
    addSlot(s, anonSlot(0, 0));
    ok(s.vm.setMemslot(s.vmm, anonSlot(0, 0)));
    expect(s.vm.memslots.generation).toBe(2);
  });

  it('refused changes leave the generation alone: overlap (EEXIST), resize (EINVAL), missing slot', () => {
    const s = setup();
    addSlot(s, anonSlot(0, 0));
    expect(runAlone(s.vm.setMemslot(s.vmm, anonSlot(1, 8, 16, HVA_OTHER)))).toMatchObject({
      errno: 'EEXIST',
    });
    expect(runAlone(s.vm.setMemslot(s.vmm, anonSlot(0, 0, 32)))).toMatchObject({ errno: 'EINVAL' });
    expect(runAlone(s.vm.deleteMemslot(s.vmm, 7))).toMatchObject({ errno: 'EINVAL' });
    expect(s.vm.memslots.generation).toBe(2);
  });

  it('a guest_memfd slot cannot be moved, only deleted (the kernel keeps such slots immutable)', () => {
    const s = setup();
    addGmemSlot(s, gmemSlot({ mmap: true, noDirectMap: true }, 0, 0x100));
    expect(
      runAlone(s.vm.setMemslot(s.vmm, gmemSlot({ mmap: true, noDirectMap: true }, 0, 0x200))),
    ).toMatchObject({
      errno: 'EINVAL',
    });
    // Immutability is checked before overlap, as in the kernel: EINVAL even onto another slot.
    addSlot(s, anonSlot(1, 0, 16));
    expect(runAlone(s.vm.setMemslot(s.vmm, gmemSlot({ mmap: true, noDirectMap: true }, 0, 0)))).toMatchObject(
      {
        errno: 'EINVAL',
      },
    );
    expect(runAlone(s.vm.setMemslot(s.vmm, anonSlot(1, 0x108)))).toMatchObject({ errno: 'EEXIST' });
    expect(s.vm.memslots.gfnToMemslot(0x100)?.id).toBe(0);
    expect(s.vm.memslots.generation).toBe(4);
    ok(s.vm.deleteMemslot(s.vmm, 0));
    expect(s.vm.memslots.generation).toBe(8);
  });

  it('a swap waits while an mmu-notifier invalidation is in flight (activeInvalidateCount > 0)', () => {
    const s = setup();
    addSlot(s, anonSlot(0, 0));
    s.vm.mapAnon(HVA_OTHER, 4);
    const unmapper = hostThread(s, 'unmapper', 1);
    unmapper.start(s.vm.munmap(unmapper, HVA_OTHER, 4));
    stepTo(s, unmapper, 'mmu-notifier-started');
    expect(s.vm.activeInvalidateCount).toBe(1);

    const setter = hostThread(s, 'setter', 2);
    setter.start(s.vm.setMemslot(setter, anonSlot(1, 0x100, 16, HVA_ANON + 0x100_0000)));
    s.kvm.scheduler.step(setter);
    expect(setter.lastYield).toMatchObject({ kind: 'blocked', label: 'memslot-swap-wait' });
    expect(setter.runnable).toBe(false);
    expect(s.vm.memslots.generation).toBe(2);
    expect(s.vm.memslots.slots.has(1)).toBe(false);
    expect(() => s.kvm.scheduler.step(setter)).toThrow(/not runnable/);

    s.kvm.scheduler.runToCompletion(unmapper);
    expect(s.vm.activeInvalidateCount).toBe(0);
    expect(setter.runnable).toBe(true);
    s.kvm.scheduler.step(setter);
    expect(s.vm.memslots.generation).toBe(2 + IP);
    s.kvm.scheduler.runToCompletion(setter);
    expect(s.vm.memslots.generation).toBe(4);
    expect(s.vm.memslots.slots.has(1)).toBe(true);
  });

  it('a swap waits for a guest_memfd invalidation only when that raises the active count', () => {
    for (const gmemInvalidation of [true, false]) {
      const s = setup({ gmemInvalidation });
      const { file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }, 0, 0x100));
      const puncher = hostThread(s, 'puncher', 1);
      puncher.start(file.punchHole(puncher, 0, 1));
      stepTo(s, puncher, 'gmem-invalidate-begun');
      const setter = hostThread(s, 'setter', 2);
      setter.start(s.vm.setMemslot(setter, anonSlot(1, 0, 4)));
      s.kvm.scheduler.step(setter);
      expect(setter.runnable).toBe(!gmemInvalidation);
      s.kvm.scheduler.runToCompletion(puncher);
      s.kvm.scheduler.runToCompletion(setter);
      expect(s.vm.memslots.generation).toBe(4);
    }
  });

  it('synchronize_srcu waits for readers inside kvm->srcu before the final generation', () => {
    const s = setup();
    s.vm.srcuReaders = 1;
    const t = hostThread(s, 'setter');
    t.start(s.vm.setMemslot(t, anonSlot(0, 0)));
    s.kvm.scheduler.step(t);
    s.kvm.scheduler.step(t);
    expect(t.lastYield).toMatchObject({ kind: 'blocked', label: 'srcu' });
    expect(s.vm.memslots.generation).toBe(IP);
    s.vm.srcuReaders = 0;
    s.kvm.scheduler.runToCompletion(t);
    expect(s.vm.memslots.generation).toBe(2);
  });
});
