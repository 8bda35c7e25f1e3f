// test/contract.test.ts of a (toy) backend package: the contract in one call, plus its own tests.

import { type BackendTraits, defineBackend } from '@khva/backend-api';
import { createTestWorld, describeBackendContract } from '@khva/backend-testkit';
import { expect, it } from 'vitest';

// A toy backend: khva = page_address(pfn), i.e. what the `direct-map` backend does.
const traits: BackendTraits = {
  kind: 'global',
  usableFromIrq: true,
  usableFromForeignMm: true,
  mayRefuseRam: false,
  needsReachGuard: false,
  lazyFlush: false,
};
const toy = defineBackend({
  name: 'toy-page-address',
  summary: 'page_address()',
  traits,
  defaults: {},
  create: (machine) => ({
    name: 'toy-page-address',
    traits,
    map: (_mc, pfn) => ({ ok: true, khva: machine.pageAddress(pfn) }),
    unmap: () => {},
    reachable: (ctx, _vm, khva) => machine.translate(ctx.cpu, khva) !== null,
  }),
});

// page_address() of a no-direct-map page is a dead address: declared, not silently skipped.
describeBackendContract({ factory: toy, noDirectMapPages: 'dead-address' });

it('the test world: a gmem page out of the direct map oopses through page_address() from an IRQ', () => {
  const w = createTestWorld({ cpus: 4 });
  const pfn = w.gmemPfn(0);
  expect(w.access('irq', w.machine.pageAddress(pfn))).toMatchObject({ ok: false, kind: 'oops' });
  expect(w.access('vcpu', w.machine.pageAddress(w.anonPfn(0)))).toMatchObject({ ok: true });
});
