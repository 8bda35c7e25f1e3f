import { describe, expect, it } from 'vitest';
import { Host } from '../src/index.ts';

// The Host's own world tests run real backends, so they live in @khva/backends (test/host.test.ts);
// what needs no backend is tested here.
describe('Host without a backend', () => {
  it('builds the world but refuses to hand out a backend it was never given', () => {
    const host = new Host({ machine: { cpus: 2 } });
    const vm = host.addVm({ name: 'vm0' });
    const vcpu = host.addThread({ name: 'vcpu0', kind: 'vcpu', vm: 'vm0', cpu: 0 });
    expect(host.machine.cpu(0).loadedMm).toBe(vm.mm);
    expect(host.thread('vcpu0')).toBe(vcpu);
    // A VM with no memslots needs no housekeeping kthread: the only thread is the vCPU.
    expect([...host.kvm.scheduler.threads.keys()]).toEqual(['vcpu0']);
    expect(() => host.backend).toThrow('built without a backend');
    expect(() => host.createCache('pv', vm)).toThrow('built without a backend');
  });
});
