// Small reference backends that exercise every branch of the contract (one per kind), plus
// deliberately broken ones to prove the checks catch what they claim to. Not real strategies.
import type { BackendVm } from '@khva/backend-api';
import { type BackendFactory, defineBackend, type MappingBackend } from '@khva/backend-api';
import {
  directMapPfn,
  type Machine,
  MM_LOCAL_SIZE,
  MM_LOCAL_START,
  PAGE_SIZE,
  regionOf,
  type Va,
  VaRange,
} from '@khva/memory-core';

const everywhere = {
  usableFromIrq: true,
  usableFromForeignMm: true,
  mayRefuseRam: false,
  needsReachGuard: false,
};

/** khva = page_address(pfn): the dead-address case for pages out of the direct map. */
export const pageAddressFixture = defineBackend({
  name: 'fixture-page-address',
  summary: 'page_address()',
  traits: { kind: 'global', ...everywhere, lazyFlush: false },
  defaults: {},
  create(machine: Machine): MappingBackend {
    return {
      name: 'fixture-page-address',
      traits: this.traits,
      map: (_mc, pfn) => ({ ok: true, khva: machine.pageAddress(pfn) }),
      unmap() {},
      reachable: (_ctx, _vm, khva) => machine.directMap.isPresent(directMapPfn(khva)),
    };
  },
});

interface EagerOptions {
  /** Forget to free the VA on unmap (a leak the contract must catch). */
  leakVa: boolean;
  /** Skip the flush on unmap (stale entries the contract must catch). */
  skipFlush: boolean;
}

/** vmap of every page with an immediate flush on unmap: no lazy purge, nothing left over. */
export const eagerVmapFixture: BackendFactory<EagerOptions> = defineBackend<EagerOptions>({
  name: 'fixture-eager-vmap',
  summary: 'vmap + immediate flush_tlb_kernel_range',
  traits: { kind: 'global', ...everywhere, lazyFlush: false },
  defaults: { leakVa: false, skipFlush: false },
  create(machine, options) {
    const o = { ...this.defaults, ...options };
    return {
      name: 'fixture-eager-vmap',
      traits: this.traits,
      map(_mc, pfn) {
        const va = machine.vmalloc.alloc(PAGE_SIZE);
        machine.mapGlobal(va, pfn);
        return { ok: true, khva: va };
      },
      unmap(mc, khva) {
        machine.unmapGlobal(khva);
        if (!o.skipFlush) machine.flushTlbKernelRange(mc.ctx.cpu, khva, khva + PAGE_SIZE);
        if (!o.leakVa) machine.vmalloc.free(khva, PAGE_SIZE);
      },
      reachable: (_ctx, _vm, khva) => regionOf(khva) === 'vmalloc',
    };
  },
});

/** A one-page mapping in the VM's mm-local region, flushed on the mm's CPUs at unmap. */
export const mmLocalFixture = defineBackend<{ lie: boolean }>({
  name: 'fixture-mm-local',
  summary: 'mm-local page',
  traits: {
    kind: 'mm-local',
    usableFromIrq: false,
    usableFromForeignMm: false,
    mayRefuseRam: false,
    needsReachGuard: true,
    lazyFlush: false,
  },
  defaults: { lie: false },
  create(machine, options) {
    const o = { ...this.defaults, ...options };
    const ranges = new Map<number, VaRange>();
    const range = (vm: BackendVm) => {
      let r = ranges.get(vm.mm.id);
      if (!r) {
        r = new VaRange(`${vm.name}:mm-local`, MM_LOCAL_START, MM_LOCAL_SIZE, machine.ledger);
        ranges.set(vm.mm.id, r);
      }
      return r;
    };
    return {
      name: 'fixture-mm-local',
      traits: this.traits,
      map(mc, pfn) {
        const va = range(mc.vm).alloc(PAGE_SIZE);
        machine.mapLocal(mc.vm.mm, va, pfn);
        return { ok: true, khva: va };
      },
      unmap(mc, khva) {
        machine.unmapLocal(mc.vm.mm, khva);
        machine.flushTlbMm(mc.ctx.cpu, mc.vm.mm, khva, khva + PAGE_SIZE);
        range(mc.vm).free(khva, PAGE_SIZE);
      },
      reachable: (ctx, vm) => o.lie || ctx.cpu.loadedMm === vm.mm,
    };
  },
});

/** Per access: map into this CPU's slot of the VM mm's local region, touch, unmap, flush locally. */
export const perAccessFixture = defineBackend({
  name: 'fixture-per-access',
  summary: 'per-access mapping',
  traits: {
    kind: 'per-access',
    usableFromIrq: false,
    usableFromForeignMm: false,
    mayRefuseRam: false,
    needsReachGuard: true,
    lazyFlush: false,
  },
  defaults: {},
  create(machine) {
    const slots = new Map<number, Va>();
    let range: VaRange | null = null;
    return {
      name: 'fixture-per-access',
      traits: this.traits,
      map: () => ({ ok: false, errno: 'EINVAL', reason: 'per-access backend: nothing to map' }),
      unmap() {},
      reachable: (ctx, vm) => ctx.mode !== 'irq' && ctx.cpu.loadedMm === vm.mm,
      prepare(mc) {
        range ??= new VaRange(`${mc.vm.name}:slots`, MM_LOCAL_START, MM_LOCAL_SIZE, machine.ledger);
        for (const cpu of machine.cpus) if (!slots.has(cpu.id)) slots.set(cpu.id, range.alloc(PAGE_SIZE));
      },
      access(ctx, vm, req) {
        if (ctx.mode === 'irq') return { ok: false, reason: 'hard IRQ' };
        if (ctx.cpu.loadedMm !== vm.mm) return { ok: false, reason: 'foreign mm' };
        const slot = slots.get(ctx.cpu.id);
        if (slot === undefined) return { ok: false, reason: 'not prepared' };
        machine.mapLocal(vm.mm, slot, req.pfn);
        const outcome = machine.access(ctx, slot + req.offset, req.bytes, req.op, req.data);
        machine.unmapLocal(vm.mm, slot);
        machine.flushLocalPage(ctx.cpu, slot);
        return { ok: true, outcome };
      },
    };
  },
});
