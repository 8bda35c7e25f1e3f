import { beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  packageDir,
  readExample,
  readme,
  runExample,
} from '../../../scripts/test-support/readme-example.ts';

const pkg = packageDir(import.meta.url);
const EXAMPLE = 'host.mjs';

describe('examples/host.mjs (against the built dist)', () => {
  beforeAll(() => ensureBuilt(pkg), 120_000);

  it('observes direct-map oopsing and vmap not, on a no-direct-map page', () => {
    const out = runExample(pkg, EXAMPLE);
    expect(out).toContain('direct-map: activate 0 (map calls 1); use: oopses 1, use-after-free false');
    expect(out).toContain(
      'vmap: activate 0 (map calls 1); use: oopses 0, use-after-free false, violations []',
    );
  });

  it('is shown verbatim in the README, with the output it prints', () => {
    const text = readme(pkg);
    expect(text).toContain(`\`\`\`js\n${readExample(pkg, EXAMPLE)}\`\`\``);
    expect(text).toContain(`\`\`\`text\n${runExample(pkg, EXAMPLE).trimEnd()}\n\`\`\``);
  });
});
