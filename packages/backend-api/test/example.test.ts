import { beforeAll, describe, expect, it } from 'vitest';
import {
  ensureBuilt,
  packageDir,
  readExample,
  readme,
  runExample,
} from '../../../scripts/test-support/readme-example.ts';

const pkg = packageDir(import.meta.url);
const EXAMPLE = 'registry.mjs';

describe('examples/registry.mjs (against the built dist)', () => {
  beforeAll(() => ensureBuilt(pkg), 120_000);

  it('maps through a registered backend and names unknown backends and options', () => {
    const out = runExample(pkg, EXAMPLE);
    expect(out).toContain('specVersion 1; linear maps pfn 4096 at 0x888001000000');
    expect(out).toContain('UnknownBackendError: unknown backend "vmapp"; known backends: linear');
    expect(out).toContain('TypeError: linear: unknown option "lazy"; it takes no options');
  });

  it('is shown verbatim in the README, with the output it prints', () => {
    const text = readme(pkg);
    expect(text).toContain(`\`\`\`js\n${readExample(pkg, EXAMPLE)}\`\`\``);
    expect(text).toContain(`\`\`\`text\n${runExample(pkg, EXAMPLE).trimEnd()}\n\`\`\``);
  });
});
