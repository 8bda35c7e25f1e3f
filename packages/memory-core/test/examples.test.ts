import { expect } from 'vitest';
import { describeReadmeExample } from '../../../scripts/test-support/readme-example.ts';

describeReadmeExample(import.meta.url, 'direct-map-oops.mjs', {
  shipsExamples: true,
  output: (out) => {
    expect(out).toMatch(/^oops: unable to handle page fault for address 0xffff888001000000$/m);
    expect(out).toMatch(/^oops record: cpu 2, irq, xen-evtchn, write at 0xffff888001000000$/m);
  },
});
