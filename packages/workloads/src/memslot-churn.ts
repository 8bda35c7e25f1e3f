import { runAlone } from '@khva/memory-core';
import { z } from 'zod';
import { defineWorkload } from './contract.ts';
import { ANON_GFN, Harness, PV_GFN } from './harness.ts';
import { count } from './params.ts';

const LEN = 32;
const EXTRA_HVA = 0x7c00_0000_0000;

// Models a VMM reconfiguring memory under active caches (KVM_SET_USER_MEMORY_REGION2): it moves
// an anonymous slot holding per-vCPU caches (guest_memfd slots cannot move) and adds and deletes
// another slot; every change bumps the generation, so every gpa cache's check fails and the next
// use refreshes (fast path if the hva did not change; re-activation at the new gpa after a move).
export const memslotChurn = defineWorkload({
  name: 'memslot-churn',
  summary: 'memslot move/add/delete under active caches: generation bumps, re-lookups and re-activations',
  params: z.object({
    vms: count(1, 64, 1),
    vcpusPerVm: count(1, 256, 4),
    changes: count(1, 1_000_000, 1_000),
    /** Cache uses after each change (spread over the vCPUs). */
    usesPerChange: count(1, 10_000, 8),
  }),
  run(p, ctx) {
    const h = new Harness(ctx);
    const pages = Math.max(16, p.vcpusPerVm);
    const guests = h.createGuests(
      p.vms,
      { pvPages: p.vcpusPerVm, secretPages: 0, anonPages: pages },
      p.vcpusPerVm,
    );
    const kt = h.kvm.kthread();
    const state = guests.map((g) => ({
      anonBase: ANON_GFN,
      extra: false,
      caches: g.vcpus.map((t, i) => {
        const pv = h.newCache(t, g.vm, `${t.name}.pv_time`, h.gpaOf(PV_GFN + i), LEN);
        const anon = h.newCache(t, g.vm, `${t.name}.runstate`, h.gpaOf(ANON_GFN + i), LEN);
        return { pv, anon, index: i };
      }),
    }));
    let reactivations = 0;
    for (let c = 0; c < p.changes; c++) {
      const gi = h.prng.int(p.vms);
      const g = guests[gi]!;
      const s = state[gi]!;
      const kind = h.prng.int(3);
      if (kind === 0) {
        // Move the anon slot between two guest-physical bases.
        s.anonBase = s.anonBase === ANON_GFN ? ANON_GFN + 0x8000 : ANON_GFN;
        const slot = g.vm.memslots.slots.get(2)!;
        runAlone(
          g.vm.setMemslot(kt, {
            slot: 2,
            gfn: s.anonBase,
            pages: slot.npages,
            backing: 'anon',
            hva: slot.userspaceAddr,
          }),
        );
      } else if (s.extra) {
        runAlone(g.vm.deleteMemslot(kt, 3));
        s.extra = false;
      } else {
        runAlone(
          g.vm.setMemslot(kt, {
            slot: 3,
            gfn: ANON_GFN + 0x20000,
            pages: 16,
            backing: 'anon',
            hva: EXTRA_HVA,
          }),
        );
        s.extra = true;
      }
      for (let u = 0; u < p.usesPerChange; u++) {
        const v = h.prng.int(p.vcpusPerVm);
        const t = g.vcpus[v]!;
        const cs = s.caches[v]!;
        h.enter(t);
        h.use(t, cs.pv, LEN, false);
        const out = h.use(t, cs.anon, LEN, false);
        if (out.result === 'EFAULT') {
          // The guest's structure moved with the slot: the VMM re-points the cache.
          reactivations++;
          h.activate(t, cs.anon, h.gpaOf(s.anonBase + cs.index), LEN);
        }
      }
      if ((c & 63) === 0) ctx.onProgress(c / p.changes);
    }
    h.retireAll();
    ctx.onProgress(1);
    return h.result([`${reactivations} caches re-activated after a slot move`]);
  },
});
