import { BackendRegistry, defineBackend, UnknownBackendError } from '@khva/backend-api';
import { testBackend } from '@khva/backend-api/testing';
import { describe, expect, it } from 'vitest';
import { parseScenario, runScenario, ScenarioError } from '../src/scenario/index.ts';

const double = defineBackend({
  name: 'test-double',
  summary: 'test double: page_address or one vmalloc PTE, flushed at once',
  traits: testBackend().traits,
  defaults: {},
  create: () => testBackend(),
});
const registry = new BackendRegistry([double]);

const base = `
machine: { cpus: 4 }
backend: test-double
vms:
  - name: vm0
    memslots:
      - { slot: 0, gfn: 0x0, pages: 16, backing: gmem, flags: [mmap, no-direct-map], hva: 0x7e0000000000, vmmMapped: false }
threads:
  - { name: vcpu0, kind: vcpu, vm: vm0, cpu: 0 }
  - { name: vmm, kind: host, vm: vm0, cpu: 2 }
  - { name: irq1, kind: irq, cpu: 1 }
`;

describe('scenario files', () => {
  it('runs steps in order and traces the cache, deltas and results', () => {
    const s = parseScenario(`${base}
steps:
  - { thread: vcpu0, op: activate, cache: pv, gpa: 0x1000, len: 8, expect: { result: 0, valid: true, mapCalls: 1 } }
  - { thread: vmm, op: punch-hole, vm: vm0, slot: 0, page: 1, pages: 1, cache: pv, expect: { result: 0, valid: false } }
  - { thread: vcpu0, op: refresh, cache: pv, len: 8, pauseAt: lock-drop, expect: { result: paused, valid: false } }
  - { thread: vmm, op: punch-hole, vm: vm0, slot: 0, page: 1, pages: 1, cache: pv, expect: { result: 0 } }
  - { thread: vcpu0, op: resume, expect: { result: 0, valid: true, pfn: changed } }
  - { thread: irq1, op: use, cache: pv, len: 8, expect: { result: 0, oops: false } }
`);
    const run = runScenario(s, { registry });
    expect(run.failure).toBeUndefined();
    expect(run.ok).toBe(true);
    expect(run.trace).toHaveLength(6);
    expect(run.trace[0]).toMatchObject({
      step: 1,
      thread: 'vcpu0',
      op: 'activate',
      result: 0,
      cache: 'pv',
      valid: true,
    });
    expect(run.trace[0]?.khva).toMatch(/^0xffffc9/);
    expect(run.trace[2]).toMatchObject({ result: 'paused', valid: false });
    expect(run.trace[4]?.pfn).not.toBe(run.trace[0]?.pfn);
  });

  it('fails at the first step whose expect differs, naming the step and both values', () => {
    const s = parseScenario(`${base}
steps:
  - { thread: vcpu0, op: activate, cache: pv, gpa: 0x1000, len: 8, expect: { result: 0 } }
  - { thread: vcpu0, op: check, cache: pv, len: 8, expect: { result: false } }
  - { thread: vcpu0, op: check, cache: pv, len: 8, expect: { result: true } }
`);
    const run = runScenario(s, { registry });
    expect(run.ok).toBe(false);
    expect(run.failure).toMatchObject({ step: 2, key: 'result', expected: false, actual: true });
    expect(run.failure?.message).toContain('step 2 (vcpu0 check)');
    expect(run.trace).toHaveLength(2);
  });

  it('reports an op that cannot run (mutex from IRQ context) as a failure, not a crash', () => {
    const s = parseScenario(`${base}
steps:
  - { thread: irq1, op: activate, vm: vm0, cache: pv, gpa: 0x1000, len: 8 }
`);
    const run = runScenario(s, { registry });
    expect(run.ok).toBe(false);
    expect(run.failure?.key).toBe('error');
    expect(String(run.failure?.actual)).toContain('atomic');
  });

  it('rejects bad files with every problem named by its path', () => {
    const bad = `${base}
bogus: 1
steps:
  - { thread: vcpu9, op: fly, cache: pv }
  - { thread: vcpu0, op: activate, gpa: 0x1000, expect: { result: maybe } }
`;
    let err: unknown;
    try {
      parseScenario(bad, 'bad.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScenarioError);
    const msg = (err as Error).message;
    expect(msg).toContain('bad.yaml');
    expect(msg).toContain('unknown field(s) bogus');
    expect(msg).toContain('steps.0.op');
    expect(msg).toMatch(/allowed: activate, activate-hva/);
    expect(msg).toContain('steps.1.expect.result');
  });

  it('checks cross references: threads, VMs and CPUs', () => {
    expect(() =>
      parseScenario(`${base.replace('cpu: 2', 'cpu: 7')}
steps:
  - { thread: ghost, op: check, cache: pv }
`),
    ).toThrow(/threads.1.cpu: 7 but the machine has 4 CPUs[\s\S]*steps.0.thread: unknown thread ghost/);
  });

  it('an unknown backend name lists the known ones', () => {
    const s = parseScenario(`${base}
steps:
  - { thread: vcpu0, op: check, cache: pv }
`);
    expect(() => runScenario(s, { registry, backend: 'nope' })).toThrow(UnknownBackendError);
    expect(() => runScenario(s, { registry, backend: 'nope' })).toThrow(/known backends: test-double/);
  });
});
