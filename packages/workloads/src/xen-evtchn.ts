import type { SimThread } from '@khva/memory-core';
import { z } from 'zod';
import { defineWorkload } from './contract.ts';
import { Harness, PV_GFN } from './harness.ts';
import { count } from './params.ts';

/** sizeof(struct vcpu_info) on x86-64. */
const VCPU_INFO_LEN = 64;
const SHINFO_LEN = 4096;

// Models kvm_xen_set_evtchn_fast() called from an irqfd wakeup or a timer in hard-IRQ context on
// whichever CPU it fires: read lock, check shared_info (PAGE_SIZE) and the target's vcpu_info,
// never refresh. -EWOULDBLOCK sends the event to the slow path, modelled as a kick of the target
// vCPU, whose thread delivers it in process context (kvm_xen_set_evtchn / inject_pending_events).
export const xenEvtchn = defineWorkload({
  name: 'xen-evtchn',
  summary:
    'Xen event channels delivered from hard-IRQ context on CPUs running other processes; slow path when the fast path would block',
  params: z.object({
    vms: count(1, 256, 2),
    vcpusPerVm: count(1, 256, 4),
    events: count(1, 10_000_000, 20_000),
    otherProcesses: count(0, 4096, 4),
    /** Every this many events, each CPU switches to another of its threads. */
    switchEvery: count(1, 10_000_000, 16),
    secretPages: count(0, 1_000_000, 32),
  }),
  run(p, ctx) {
    const h = new Harness(ctx);
    const m = h.machine;
    // Page layout of each VM's pv slot: vcpu_info pages 0..n-1, shared_info page n.
    const guests = h.createGuests(
      p.vms,
      { pvPages: p.vcpusPerVm + 1, secretPages: p.secretPages },
      p.vcpusPerVm,
    );
    const shinfo = guests.map((g) => {
      const t = g.vcpus[0]!;
      const c = h.newCache(t, g.vm, `${g.vm.name}.shinfo`, h.gpaOf(PV_GFN + p.vcpusPerVm), SHINFO_LEN);
      return c;
    });
    const vcpuInfo = guests.map((g) =>
      g.vcpus.map((t, i) => {
        const c = h.newCache(t, g.vm, `${t.name}.vcpu_info`, h.gpaOf(PV_GFN + i), VCPU_INFO_LEN);
        return c;
      }),
    );
    const others = h.spawnProcesses(p.otherProcesses);
    const irqs = h.spawnIrqs();
    // What may run on each CPU: its pinned vCPUs and processes.
    const runq: SimThread[][] = m.cpus.map(() => []);
    for (const g of guests) for (const t of g.vcpus) runq[t.cpu.id]!.push(t);
    for (const t of others) runq[t.cpu.id]!.push(t);
    // Every CPU switches, in CPU order, to one of its threads picked with the PRNG. A CPU with a
    // single thread always picks it again: its draw only advances the PRNG (skipped in one step),
    // and re-entering it changes something only where another thread (an IRQ, a kicked vCPU) ran
    // since, so only those CPUs are entered: a switch costs the busy CPUs, not all of them.
    const lone = runq.map((q) => (q.length === 1 ? q[0]! : undefined));
    const busy: Array<{ readonly skip: number; readonly q: SimThread[] }> = [];
    let skip = 0;
    for (const q of runq) {
      if (q.length === 1) skip++;
      else if (q.length > 1) {
        busy.push({ skip, q });
        skip = 0;
      }
    }
    const tail = skip;
    const touched: number[] = [];
    const touch = (cpu: number) => {
      if (lone[cpu] !== undefined) touched.push(cpu);
    };
    const switchAll = () => {
      for (const b of busy) {
        h.prng.skip(b.skip);
        h.enter(b.q[h.prng.int(b.q.length)]!);
      }
      h.prng.skip(tail);
      for (const cpu of touched) h.enter(lone[cpu]!);
      touched.length = 0;
    };
    for (const q of runq) if (q.length > 0) h.enter(q[h.prng.int(q.length)]!);
    for (let e = 0; e < p.events; e++) {
      if (e % p.switchEvery === 0) switchAll();
      const vmIdx = h.prng.int(p.vms);
      const v = h.prng.int(p.vcpusPerVm);
      const irq = irqs[h.prng.int(h.cpus)]!;
      touch(irq.cpu.id);
      const shared = h.use(irq, shinfo[vmIdx]!, SHINFO_LEN, true);
      const target = guests[vmIdx]!.vcpus[v]!;
      touch(target.cpu.id);
      if (shared.result === 0) {
        // Pending bit set in shared_info; now the selector in the target's vcpu_info.
        const info = h.use(irq, vcpuInfo[vmIdx]![v]!, VCPU_INFO_LEN, true);
        if (info.result !== 0) m.kickCpu(irq.cpu, target.cpu);
      } else {
        // Slow path: kick the target vCPU; its thread delivers in process context.
        h.slowPath++;
        m.kickCpu(irq.cpu, target.cpu);
        h.enter(target);
        h.use(target, shinfo[vmIdx]!, SHINFO_LEN, false);
        h.use(target, vcpuInfo[vmIdx]![v]!, VCPU_INFO_LEN, false);
      }
      if ((e & 1023) === 0) ctx.onProgress(e / p.events);
    }
    h.retireAll();
    ctx.onProgress(1);
    return h.result();
  },
});
