import { expect } from 'vitest';
import { describeExampleShownVerbatim } from '../../../scripts/test-support/readme-example.ts';

describeExampleShownVerbatim(
  import.meta.url,
  'host.mjs',
  'observes direct-map oopsing and vmap not, on a no-direct-map page',
  (out) => {
    expect(out).toContain('direct-map: activate 0 (map calls 1); use: oopses 1, use-after-free false');
    expect(out).toContain(
      'vmap: activate 0 (map calls 1); use: oopses 0, use-after-free false, violations []',
    );
  },
);
