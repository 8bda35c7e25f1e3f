import { z } from 'zod';
import { defineWorkload } from './contract.ts';
import { Harness, PV_GFN } from './harness.ts';
import { count } from './params.ts';

const LEN = 32;

// Models many short-lived VMs started and stopped one after another (serverless hosts): each
// activates a pvclock cache per vCPU, runs a few clock updates, deactivates them at vCPU teardown
// and is destroyed. Lazily unmapped kernel VA piles up until the backend purges it.
export const vmChurn = defineWorkload({
  name: 'vm-churn',
  summary: 'short-lived VMs one after another: cache setup/teardown, VA and lazy-purge pressure',
  params: z.object({
    vms: count(1, 1_000_000, 500),
    vcpusPerVm: count(1, 256, 4),
    updatesPerVcpu: count(0, 1_000_000, 4),
    secretPages: count(0, 1_000_000, 4),
  }),
  run(p, ctx) {
    const h = new Harness(ctx);
    for (let n = 0; n < p.vms; n++) {
      const first = h.prng.int(h.cpus);
      const g = h.createGuest({ pvPages: p.vcpusPerVm, secretPages: p.secretPages }, p.vcpusPerVm, first);
      const caches = g.vcpus.map((t, i) => {
        const c = h.newCache(t, g.vm, `${t.name}.pv_time`, h.gpaOf(PV_GFN + i), LEN);
        return c;
      });
      for (let u = 0; u < p.updatesPerVcpu * p.vcpusPerVm; u++) {
        const v = u % p.vcpusPerVm;
        const t = g.vcpus[v]!;
        h.enter(t);
        h.use(t, caches[v]!, LEN, false);
      }
      h.retireAll(g.vm);
      h.destroyGuest(g);
      if ((n & 15) === 0) ctx.onProgress(n / p.vms);
    }
    ctx.onProgress(1);
    return h.result();
  },
});
