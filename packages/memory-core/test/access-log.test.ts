import { describe, expect, it } from 'vitest';
import { ModelUsageError } from '../src/index.ts';
import { guestFrame, machine, on } from './helpers.ts';

describe('oops and fault records stay bounded over a long run', () => {
  it('counts every oops exactly but keeps only the first and the latest `accessRecordLimit` records', () => {
    const m = machine(2, { accessRecordLimit: 8 });
    const vm = m.createMm('vm');
    const f = guestFrame(m, vm);
    const va = m.pageAddress(f.pfn);
    for (let i = 0; i < 1000; i++) m.access(on(m, i % 2, 'process', `t${i}`), va + (i % 512) * 8, 8, 'write');
    expect(m.oopsLog.count).toBe(1000);
    expect(m.ledger.counters.oopses).toBe(1000);
    // The first records are the report's sample; nothing past them is retained there.
    expect(m.oopses.map((o) => o.who)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7']);
    // A reader that looked at count 995 gets the five since; one that looked long ago gets the latest 8.
    expect(m.oopsLog.since(995).map((o) => o.who)).toEqual(['t995', 't996', 't997', 't998', 't999']);
    expect(m.oopsLog.since(10).map((o) => o.who)).toEqual(Array.from({ length: 8 }, (_, i) => `t${992 + i}`));
    expect(m.oopsLog.since(1000)).toEqual([]);
    expect(m.faultLog.count).toBe(0);
  });

  it('below the limit, since() returns exactly the records added after the count it is given', () => {
    const m = machine(2, { accessRecordLimit: 8 });
    const vm = m.createMm('vm');
    const va = m.pageAddress(guestFrame(m, vm).pfn);
    m.access(on(m, 0, 'irq', 'a'), va, 8, 'read');
    const seen = m.oopsLog.count;
    m.access(on(m, 1, 'atomic', 'b'), va, 8, 'write');
    m.access(on(m, 0, 'process', 'c'), va, 8, 'write');
    expect(m.oopsLog.since(seen).map((o) => [o.who, o.mode, o.cpu])).toEqual([
      ['b', 'atomic', 1],
      ['c', 'process', 0],
    ]);
    expect(m.oopses).toHaveLength(3);
  });

  it('refuses a limit that is not a positive integer, naming the option', () => {
    expect(() => machine(1, { accessRecordLimit: 0 })).toThrow(ModelUsageError);
    expect(() => machine(1, { accessRecordLimit: 1.5 })).toThrow(/machine\.accessRecordLimit/);
  });
});
