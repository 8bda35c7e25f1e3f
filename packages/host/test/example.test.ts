import { expect } from 'vitest';
import { describeExampleShownVerbatim } from '../../../scripts/test-support/readme-example.ts';

describeExampleShownVerbatim(
  import.meta.url,
  'host.mjs',
  'observes page_address() oopsing and the test double not, on a no-direct-map page',
  (out) => {
    expect(out).toContain(
      'page-address: activate 0, map calls 1, oopses 1, violations [valid-khva-translates]',
    );
    expect(out).toContain('test-double: activate 0, map calls 1, oopses 0, violations []');
  },
);
