import { runAlone } from '@khva/memory-core';
import { describe, expect, it } from 'vitest';
import { addGmemSlot, gmemSlot, handOut, setup } from './helpers.ts';

describe('the VM event log', () => {
  it('builds no event text while the log is off, and logs the same punch-hole once it is on', () => {
    const s = setup();
    const { slot, file } = addGmemSlot(s, gmemSlot({ mmap: false, noDirectMap: true }));
    handOut(s, slot, 0x101);
    expect(s.vm.events).toBeNull();
    let built = 0;
    s.vm.event(() => {
      built++;
      return 'never';
    });
    expect(runAlone(file.punchHole(s.vmm, 1, 1))).toBe(0);
    expect(built).toBe(0);
    expect(s.vm.events).toBeNull();
    s.vm.events = [];
    s.vm.event(() => {
      built++;
      return 'kept';
    });
    expect(built).toBe(1);
    expect(s.vm.events).toEqual(['kept']);
  });
});
