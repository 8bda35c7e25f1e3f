import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnknownBackendError } from '@khva/backend-api';
import { runScenarioFile } from '@khva/host/scenario/file';
import { describe, expect, it } from 'vitest';
import { builtinBackendNames, createDefaultRegistry } from '../src/index.ts';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios', 'kvmclock-and-xen-irq.yaml');

// What each backend does with the same file: [vCPU write, kthread borrowing the VM mm, IRQ on a
// foreign mm], whether the writes oops, and how many gpc_map calls the activation makes.
const expected: Record<string, { results: [unknown, unknown, unknown]; oops: boolean; mapCalls: number }> = {
  'direct-map': { results: ['EFAULT', 'EFAULT', 'EFAULT'], oops: true, mapCalls: 1 },
  vmap: { results: [0, 0, 0], oops: false, mapCalls: 1 },
  'memremap-strict': { results: ['EFAULT', 'EFAULT', 'EFAULT'], oops: true, mapCalls: 1 },
  'memremap-relaxed': { results: [0, 0, 0], oops: false, mapCalls: 1 },
  'mm-local': { results: [0, 0, 'EWOULDBLOCK'], oops: false, mapCalls: 1 },
  ephmap: { results: [0, 'EWOULDBLOCK', 'EWOULDBLOCK'], oops: false, mapCalls: 0 },
  restore: { results: [0, 0, 0], oops: false, mapCalls: 1 },
};

describe('backends are swapped purely by configuration', () => {
  it('covers every built-in backend', () => {
    expect(Object.keys(expected).sort()).toEqual([...builtinBackendNames].sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: ${JSON.stringify(want.results)}`, () => {
      const run = runScenarioFile(file, { registry: createDefaultRegistry(), backend: name });
      expect(run.failure).toBeUndefined();
      expect(run.backend).toBe(name);
      const [activate, vcpu, kworker, irq, deactivate] = run.trace;
      expect(activate).toMatchObject({ result: 0, valid: true });
      expect(activate?.deltas.mapCalls).toBe(want.mapCalls);
      expect([vcpu?.result, kworker?.result, irq?.result]).toEqual(want.results);
      expect(run.trace.some((t) => t.oops !== undefined)).toBe(want.oops);
      expect(deactivate).toMatchObject({ result: 0, active: false });
      expect(deactivate?.deltas.unmapCalls).toBe(want.mapCalls);
    });
  }

  it('the outcomes really differ between backends', () => {
    const signatures = new Set(
      builtinBackendNames.map((name) =>
        JSON.stringify(
          runScenarioFile(file, { registry: createDefaultRegistry(), backend: name }).trace.map(
            (t) => t.result,
          ),
        ),
      ),
    );
    expect(signatures.size).toBeGreaterThanOrEqual(4);
  });

  it('an unknown backend name fails with the list of known names', () => {
    const attempt = () => runScenarioFile(file, { registry: createDefaultRegistry(), backend: 'kmap-local' });
    expect(attempt).toThrow(UnknownBackendError);
    expect(attempt).toThrow(
      `unknown backend "kmap-local"; known backends: ${builtinBackendNames.join(', ')}`,
    );
  });
});
