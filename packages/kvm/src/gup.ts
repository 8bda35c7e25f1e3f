import { type ExecContext, PAGE_SIZE, type Pfn, type Va, vpnOf } from '@khva/memory-core';
import type { ErrnoResult } from './errno.ts';
import { isGmemOnly, type Memslot } from './memslots.ts';
import type { Vm } from './vm.ts';

// Models hva_to_pfn() (GUP, always for write): faults the page in from process context and
// takes a page reference. No-direct-map gmem mappings are refused, as the series makes GUP do.
export function hvaToPfn(vm: Vm, ctx: ExecContext, uhva: Va): Pfn | ErrnoResult {
  const va = uhva - (uhva % PAGE_SIZE);
  const vma = vm.mm.findVma(va);
  if (!vma) return { errno: 'EFAULT', reason: `no VMA at ${uhva.toString(16)}` };
  if (!vma.gupAllowed) return { errno: 'EFAULT', reason: 'GUP refused: no-direct-map guest_memfd mapping' };
  const m = vm.machine;
  let pte = vm.mm.userPt.get(vpnOf(va));
  if (!pte) {
    if (ctx.mode !== 'process') return { errno: 'EFAULT', reason: 'cannot fault in atomic context' };
    const r = vm.vmm.faultIn(ctx, vma, va);
    if ('error' in r) return { errno: r.error, reason: r.reason };
    m.mapUser(vm.mm, va, r.pfn);
    pte = vm.mm.userPt.get(vpnOf(va))!;
  }
  m.mem.getPage(pte.pfn);
  m.ledger.charge('gupFast');
  return pte.pfn;
}

// Models kvm_gmem_get_pfn(): the slot's file folio for gfn, allocated and (with NO_DIRECT_MAP)
// zapped from the direct map on first use; returns with a page reference held.
export function gmemGetPfn(vm: Vm, ctx: ExecContext, slot: Memslot, gfn: number): Pfn | ErrnoResult {
  if (!slot.gmem) return { errno: 'EFAULT', reason: `slot ${slot.id} has no guest_memfd` };
  const pfn = slot.gmem.getFolio(ctx, gfn - slot.baseGfn + slot.gmemPgoff);
  if (typeof pfn !== 'number') return pfn;
  vm.machine.mem.getPage(pfn);
  vm.machine.ledger.charge('gmemGetPfn');
  return pfn;
}

// Models the test in front of gpc_to_pfn()'s kvm_gmem_get_pfn() call, per kernel.series: RFC v3's
// gpc_is_gmem_backed() (a gmem-only slot or a private gfn), RFC v1's kvm_slot_has_gmem() (any slot
// bound to a file, shared gfns too); mainline has no guest_memfd path at all.
export function usesGmem(vm: Vm, slot: Memslot | null, gfn: number): boolean {
  if (slot === null || slot.gmem === null) return false;
  switch (vm.kernel.series) {
    case 'mainline':
      return false;
    case 'rfc-v1':
      return true;
    case 'rfc-v3':
      return isGmemOnly(slot) || vm.privateGfns.has(gfn);
  }
}
