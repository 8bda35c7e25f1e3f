import type { SimThread } from '@khva/memory-core';
import { z } from 'zod';
import { defineWorkload } from './contract.ts';
import { Harness, PV_GFN } from './harness.ts';
import { count } from './params.ts';

const PVCLOCK_LEN = 32;
const SHINFO_LEN = 4096;

// A host with several VMs and unrelated processes: kvm-clock updates (half the events), Xen
// events from IRQs on any CPU (a third), vCPU migrations, VMM punch-holes of guest data and
// context switches, drawn from one seeded stream.
export const mixed = defineWorkload({
  name: 'mixed',
  summary:
    'several VMs and unrelated processes: kvm-clock, Xen IRQ delivery, migrations, punch-holes, context switches',
  params: z.object({
    vms: count(1, 256, 4),
    vcpusPerVm: count(1, 256, 8),
    otherProcesses: count(0, 4096, 8),
    events: count(1, 10_000_000, 20_000),
    secretPages: count(0, 1_000_000, 16),
  }),
  run(p, ctx) {
    const h = new Harness(ctx);
    const m = h.machine;
    const guests = h.createGuests(
      p.vms,
      { pvPages: p.vcpusPerVm + 1, secretPages: p.secretPages },
      p.vcpusPerVm,
    );
    const clocks = guests.map((g) =>
      g.vcpus.map((t, i) => {
        const c = h.newCache(t, g.vm, `${t.name}.pv_time`, h.gpaOf(PV_GFN + i), PVCLOCK_LEN);
        return c;
      }),
    );
    const shinfo = guests.map((g) => {
      const t = g.vcpus[0]!;
      const c = h.newCache(t, g.vm, `${g.vm.name}.shinfo`, h.gpaOf(PV_GFN + p.vcpusPerVm), SHINFO_LEN);
      return c;
    });
    const others = h.spawnProcesses(p.otherProcesses);
    const irqs = h.spawnIrqs();
    // The threads placed on each CPU, in one fixed order (vCPUs VM by VM, then processes), kept up
    // to date on migration so a context switch does not scan every thread of the host.
    const all = [...guests.flatMap((g) => g.vcpus), ...others];
    const rank = new Map(all.map((t, i) => [t, i]));
    const onCpu: SimThread[][] = m.cpus.map(() => []);
    for (const t of all) onCpu[t.cpu.id]!.push(t);
    const migrate = (t: SimThread, cpu: number) => {
      const from = onCpu[t.cpu.id]!;
      h.migrate(t, cpu);
      from.splice(from.indexOf(t), 1);
      const to = onCpu[t.cpu.id]!;
      const r = rank.get(t)!;
      let i = to.length;
      while (i > 0 && rank.get(to[i - 1]!)! > r) i--;
      to.splice(i, 0, t);
    };
    const pickThreadOn = (cpu: number): SimThread | undefined => {
      const here = onCpu[cpu]!;
      return here.length > 0 ? here[h.prng.int(here.length)] : undefined;
    };
    for (let e = 0; e < p.events; e++) {
      const roll = h.prng.int(100);
      const gi = h.prng.int(p.vms);
      const g = guests[gi]!;
      const v = h.prng.int(p.vcpusPerVm);
      const t = g.vcpus[v]!;
      if (roll < 50) {
        h.enter(t);
        h.use(t, clocks[gi]![v]!, PVCLOCK_LEN, false);
      } else if (roll < 83) {
        const irq = irqs[h.prng.int(h.cpus)]!;
        if (h.use(irq, shinfo[gi]!, SHINFO_LEN, true).result !== 0) {
          h.slowPath++;
          m.kickCpu(irq.cpu, t.cpu);
          h.enter(t);
          h.use(t, shinfo[gi]!, SHINFO_LEN, false);
        }
      } else if (roll < 93) {
        migrate(t, h.prng.int(h.cpus));
      } else if (roll < 95 && p.secretPages > 0) {
        h.enter(g.vmm);
        const file = g.vm.memslots.slots.get(1)!.gmem!;
        h.run(g.vmm, file.punchHole(g.vmm, h.prng.int(p.secretPages), 1));
      } else {
        const next = pickThreadOn(h.prng.int(h.cpus));
        if (next) h.enter(next);
      }
      if ((e & 1023) === 0) ctx.onProgress(e / p.events);
    }
    h.retireAll();
    ctx.onProgress(1);
    return h.result();
  },
});
