import { z } from 'zod';
import { defineWorkload } from './contract.ts';
import { ANON_GFN, Harness, PV_GFN } from './harness.ts';
import { count } from './params.ts';

const LEN = 32;

// Models guest_memfd churn under active caches: the VMM punches holes in guest memory (balloon,
// discard, shared/private conversion) including pages that caches hold, the vCPUs keep using
// their caches (refreshing onto re-faulted pages), and the VMM keeps faulting its own memory in
// on its CPU. Punched folios are unmovable and the VMM's anon faults movable, so the allocator hands
// punched folios back to later guest_memfd faults (once the VMM CPU's per-CPU list passes its high
// mark), not to the VMM's anon memory.
export const gmemChurn = defineWorkload({
  name: 'gmem-churn',
  summary:
    'punch-hole and re-fault of guest_memfd pages under active caches; punched folios come back to later guest_memfd faults',
  params: z.object({
    vms: count(1, 64, 1),
    vcpusPerVm: count(1, 256, 4),
    punches: count(1, 10_000_000, 10_000),
    /** The VMM faults in a page of its own memory every this many punches. */
    vmmFaultEvery: count(1, 1_000_000, 2),
    /** Cache uses by the vCPUs after each punch. */
    usesPerPunch: count(1, 1_000, 2),
  }),
  run(p, ctx) {
    const h = new Harness(ctx);
    const pvPages = 2 * p.vcpusPerVm;
    const anonPages = 4096;
    const guests = h.createGuests(p.vms, { pvPages, secretPages: 0, anonPages }, p.vcpusPerVm);
    const caches = guests.map((g) =>
      g.vcpus.map((t, i) => {
        const c = h.newCache(t, g.vm, `${t.name}.pv_time`, h.gpaOf(PV_GFN + i), LEN);
        return c;
      }),
    );
    let vmmPage = 0;
    for (let n = 0; n < p.punches; n++) {
      const gi = h.prng.int(p.vms);
      const g = guests[gi]!;
      const page = h.prng.int(pvPages);
      h.enter(g.vmm);
      const file = g.vm.memslots.slots.get(0)!.gmem!;
      h.run(g.vmm, file.punchHole(g.vmm, page, 1));
      if (n % p.vmmFaultEvery === 0) {
        // The VMM touches fresh memory of its own (I/O buffers): a GUP fault on its CPU.
        const pfn = g.vm.hvaToPfn(
          g.vmm.ctx,
          g.vm.memslots.slots.get(2)!.userspaceAddr + (vmmPage++ % anonPages) * 4096,
        );
        if (typeof pfn === 'number') g.vm.releasePage(pfn);
      }
      for (let u = 0; u < p.usesPerPunch; u++) {
        const v = h.prng.int(p.vcpusPerVm);
        const t = g.vcpus[v]!;
        h.enter(t);
        h.use(t, caches[gi]![v]!, LEN, false);
      }
      if ((n & 255) === 0) ctx.onProgress(n / p.punches);
    }
    h.retireAll();
    ctx.onProgress(1);
    void ANON_GFN;
    return h.result();
  },
});
