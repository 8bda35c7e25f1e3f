import { expect } from 'vitest';
import { describeExampleShownVerbatim } from '../../../scripts/test-support/readme-example.ts';

describeExampleShownVerbatim(
  import.meta.url,
  'registry.mjs',
  'maps through a registered backend and names unknown backends and options',
  (out) => {
    expect(out).toContain('specVersion 1; linear maps pfn 4096 at 0x888001000000');
    expect(out).toContain('UnknownBackendError: unknown backend "vmapp"; known backends: linear');
    expect(out).toContain('TypeError: linear: unknown option "lazy"; it takes no options');
  },
);
