import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

it('the README example is test/readme-example.test.ts, which runs as part of this suite', () => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8');
  const at = readme.indexOf('`test/readme-example.test.ts`');
  expect(at).toBeGreaterThanOrEqual(0);
  const start = readme.indexOf('```ts\n', at) + 6;
  const block = readme.slice(start, readme.indexOf('```\n', start));
  expect(block).toBe(readFileSync(join(pkg, 'test', 'readme-example.test.ts'), 'utf8'));
});
