import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScenarioFile } from '@khva/host/scenario/file';
import { describe, expect, it } from 'vitest';
import { createDefaultRegistry } from '../src/index.ts';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'pfncache', 'scenarios');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('pfncache scenario files, each with the backend it names', () => {
  it('ships the scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });
  for (const f of files) {
    it(f, () => {
      const run = runScenarioFile(join(dir, f), { registry: createDefaultRegistry() });
      expect(run.failure, run.failure?.message).toBeUndefined();
      expect(run.ok).toBe(true);
      // Every step of a shipped scenario states what it expects.
      expect(run.trace.length).toBeGreaterThan(0);
    });
  }
});
