// A guest page leaves the direct map; its page_address() then oopses from a hard IRQ.
import { formatVa, Machine } from '@khva/memory-core';

const m = new Machine({ cpus: 4 });
const vm = m.createMm('vm0');
const page = m.mem.alloc(1, vm.id, 'secret'); // a page of VM 1's guest memory

// guest_memfd with NO_DIRECT_MAP: set_direct_map_invalid_noflush() on the page.
const split = m.removeFromDirectMap(page.pfn);
const c = m.ledger.counters;
console.log(`removed pfn ${page.pfn}: split 1G=${split.split1G} 2M=${split.split2M}`);
console.log(`direct-map splits ${c.directMapSplits}, page-table pages ${c.pageTablePages}`);

// What a gpc would cache with no mapping backend: the direct-map address.
const khva = m.pageAddress(page.pfn);
const irq = { cpu: m.cpu(2), mode: 'irq', who: 'xen-evtchn' };
const r = m.access(irq, khva, 8, 'write');
console.log(r.ok ? 'write succeeded' : `${r.kind}: ${r.reason}`);

const [oops] = m.oopses;
console.log(`oops record: cpu ${oops.cpu}, ${oops.mode}, ${oops.who}, ${oops.op} at ${oops.va}`);
console.log(`khva ${formatVa(khva)}, ${m.ledger.cycles} modelled cycles so far`);
