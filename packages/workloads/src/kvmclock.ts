import { z } from 'zod';
import { defineWorkload } from './contract.ts';
import { Harness, PV_GFN } from './harness.ts';
import { count } from './params.ts';

/** sizeof(struct pvclock_vcpu_time_info). */
const PVCLOCK_LEN = 32;

// Models kvm_guest_time_update() -> kvm_setup_guest_pvclock(): each vCPU has a gpa-based cache on
// its pvclock page (here on NO_DIRECT_MAP guest_memfd) and writes it from its own thread before
// entering the guest; vCPUs migrate between CPUs now and then.
export const kvmclock = defineWorkload({
  name: 'kvmclock',
  summary:
    'per-vCPU pvclock caches on NO_DIRECT_MAP guest_memfd, written by each vCPU thread on clock updates; vCPUs migrate',
  params: z.object({
    vms: count(1, 256, 2),
    vcpusPerVm: count(1, 256, 4),
    updates: count(1, 10_000_000, 20_000),
    /** A random vCPU moves to a random CPU every this many updates (0: never). */
    migrateEvery: count(0, 10_000_000, 200),
    /** Guest data pages each VM faults in (NO_DIRECT_MAP, tagged secret). */
    secretPages: count(0, 1_000_000, 32),
  }),
  run(p, ctx) {
    const h = new Harness(ctx);
    const guests = h.createGuests(p.vms, { pvPages: p.vcpusPerVm, secretPages: p.secretPages }, p.vcpusPerVm);
    const caches = guests.map((g) =>
      g.vcpus.map((t, i) => {
        const c = h.newCache(t, g.vm, `${t.name}.pv_time`, h.gpaOf(PV_GFN + i), PVCLOCK_LEN);
        return c;
      }),
    );
    for (let u = 0; u < p.updates; u++) {
      const vmIdx = h.prng.int(p.vms);
      const v = h.prng.int(p.vcpusPerVm);
      const g = guests[vmIdx]!;
      const t = g.vcpus[v]!;
      if (p.migrateEvery > 0 && u % p.migrateEvery === p.migrateEvery - 1) {
        h.migrate(t, h.prng.int(h.cpus));
      } else {
        h.enter(t);
      }
      h.use(t, caches[vmIdx]![v]!, PVCLOCK_LEN, false);
      if ((u & 1023) === 0) ctx.onProgress(u / p.updates);
    }
    h.retireAll();
    ctx.onProgress(1);
    return h.result();
  },
});
