import { describe, expect, it } from 'vitest';
import {
  HOST,
  type Machine,
  MM_LOCAL_START,
  ModelUsageError,
  Prng,
  Scheduler,
  type SimThread,
  type ThreadBody,
} from '../src/index.ts';
import { machine } from './helpers.ts';

/** A body that logs each step, charges some cycles, and yields `steps` times. */
function* worker(m: Machine, log: string[], name: string, steps: number): ThreadBody<string> {
  for (let i = 0; i < steps; i++) {
    log.push(`${name}:${i}`);
    m.ledger.charge('invlpg');
    yield { kind: i % 2 === 0 ? 'preempt' : 'lock-drop', label: `step${i}` };
  }
  log.push(`${name}:done`);
  return `${name} finished`;
}

/** Four threads on two CPUs, each with a few yield points. */
function world(seed: number): { m: Machine; s: Scheduler; log: string[] } {
  const m = machine(2);
  const s = new Scheduler(m, seed);
  const log: string[] = [];
  const vm = m.createMm('vm');
  const other = m.createMm('other');
  const specs = [
    { name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: vm },
    { name: 'vcpu1', kind: 'vcpu', cpu: 1, mm: vm },
    { name: 'proc', kind: 'process', cpu: 1, mm: other },
    { name: 'kworker', kind: 'kthread', cpu: 0, mm: null },
  ] as const;
  for (const spec of specs) s.spawn(spec).start(worker(m, log, spec.name, 5));
  return { m, s, log };
}

describe('Scheduler', () => {
  it('gives the same schedule for the same seed, and a different one for another seed', () => {
    const a = world(7);
    const b = world(7);
    const c = world(8);
    a.s.runRandom();
    b.s.runRandom();
    c.s.runRandom();
    expect(a.s.schedule).toHaveLength(4 * 6);
    expect(b.s.schedule).toEqual(a.s.schedule);
    expect(b.log).toEqual(a.log);
    expect(c.s.schedule).toHaveLength(4 * 6);
    expect(c.s.schedule).not.toEqual(a.s.schedule);
    // Not simply round-robin or one thread after another.
    expect(new Set(a.s.schedule.slice(0, 6)).size).toBeGreaterThan(1);
  });

  it('replays a recorded schedule to the same run', () => {
    const a = world(3);
    a.s.runRandom();
    const b = world(999);
    b.s.replay(a.s.schedule);
    expect(b.s.schedule).toEqual(a.s.schedule);
    expect(b.log).toEqual(a.log);
    expect(b.m.ledger.cycles).toBe(a.m.ledger.cycles);
    expect([...b.s.threads.values()].every((t) => t.done)).toBe(true);
    expect(b.s.thread('vcpu0').result).toBe('vcpu0 finished');
  });

  it('replays a hand-written schedule, and refuses a thread that cannot run at its turn', () => {
    const w = world(1);
    w.s.replay(['proc', 'vcpu0', 'proc']);
    expect(w.log).toEqual(['proc:0', 'vcpu0:0', 'proc:1']);
    expect(w.s.thread('proc').lastYield).toEqual({ kind: 'lock-drop', label: 'step1' });
    const done = world(1);
    expect(() => done.s.replay(Array(7).fill('vcpu0'))).toThrow(/not runnable/);
    expect(() => done.s.replay(['nobody'])).toThrow(
      /no thread named nobody; threads: vcpu0, vcpu1, proc, kworker/,
    );
  });

  it('advances simulated time with the cycles the threads charge', () => {
    const w = world(5);
    w.s.runRandom();
    expect(w.m.ledger.byRow.get('invlpg')).toBe(4 * 5 * 260);
    expect(w.m.ledger.nowNs).toBeCloseTo(w.m.ledger.cycles / 2.7, 9);
    expect(w.m.ledger.nowNs).toBeGreaterThan((4 * 5 * 260) / 2.7 - 1e-9);
  });

  it('loads a user thread’s mm; a kernel thread borrows the loaded one (lazy TLB); an IRQ switches nothing', () => {
    const m = machine(2);
    const s = new Scheduler(m);
    const vm = m.createMm('vm');
    const other = m.createMm('other');
    const page = m.mem.alloc(1, vm.id, 'secret');
    m.mapLocal(vm, MM_LOCAL_START, page.pfn);
    const seen: Array<[string, string | undefined, boolean]> = [];
    function* probe(t: () => SimThread): ThreadBody<void> {
      const th = t();
      yield { kind: 'preempt' };
      seen.push([th.name, th.cpu.loadedMm?.name, m.access(th.ctx, MM_LOCAL_START, 8, 'read').ok]);
    }
    const vcpu = s.spawn({ name: 'vcpu', kind: 'vcpu', cpu: 0, mm: vm });
    const kw = s.spawn({ name: 'kw', kind: 'kthread', cpu: 0, mm: null });
    const proc = s.spawn({ name: 'proc', kind: 'process', cpu: 1, mm: other });
    const irq = s.spawn({ name: 'irq', kind: 'irq', cpu: 1, mm: null });
    expect(irq.mode).toBe('irq');
    expect(kw.mode).toBe('process');
    for (const t of [vcpu, kw, proc, irq]) {
      t.start(probe(() => t));
      s.runToCompletion(t);
    }
    expect(seen).toEqual([
      ['vcpu', 'vm', true],
      ['kw', 'vm', true],
      ['proc', 'other', false],
      ['irq', 'other', false],
    ]);
    expect(m.oopses.map((o) => [o.who, o.mode, o.cpu])).toEqual([
      ['proc', 'process', 1],
      ['irq', 'irq', 1],
    ]);
    expect(m.cpu(0).current).toBe('kw');
  });

  it('tells the machine which CPU runs, so frames are freed to and taken from that CPU’s list', () => {
    const m = machine(2);
    const s = new Scheduler(m);
    const a = s.spawn({ name: 'a', kind: 'kthread', cpu: 0, mm: null });
    const b = s.spawn({ name: 'b', kind: 'kthread', cpu: 1, mm: null });
    const page = m.mem.alloc(HOST, 0);
    const got: number[] = [];
    b.start(
      (function* (): ThreadBody<void> {
        m.mem.putPage(page.pfn);
        yield { kind: 'preempt' };
        got.push(m.mem.alloc(HOST, 0).pfn);
      })(),
    );
    a.start(
      (function* (): ThreadBody<void> {
        yield { kind: 'preempt' };
        got.push(m.mem.alloc(HOST, 0).pfn);
      })(),
    );
    s.replay(['b', 'a', 'a', 'b']);
    expect(m.currentCpu).toBe(1);
    // CPU 0 gets a fresh frame; CPU 1 gets back the page it freed.
    expect(got).toEqual([page.pfn + 1, page.pfn]);
  });

  it('moves a thread to another CPU on migrate', () => {
    const m = machine(2);
    const s = new Scheduler(m);
    const vm = m.createMm('vm');
    const t = s.spawn({ name: 'vcpu', kind: 'vcpu', cpu: 0, mm: vm });
    s.migrate(t, 1);
    t.start(
      (function* (): ThreadBody<number> {
        yield { kind: 'preempt' };
        return t.cpu.id;
      })(),
    );
    expect(s.runToCompletion(t)).toBe(1);
    expect(vm.cpumask.has(1)).toBe(true);
    expect(() => s.migrate(t, 2)).toThrow(/cpu 2 does not exist/);
  });

  it('detects a deadlock, a step limit, and misuse', () => {
    const m = machine(1);
    const s = new Scheduler(m);
    const t = s.spawn({ name: 'stuck', kind: 'kthread', cpu: 0, mm: null });
    t.start(
      (function* (): ThreadBody<void> {
        yield { kind: 'blocked', until: () => false };
      })(),
    );
    expect(() => s.runRandom()).toThrow(/deadlock: stuck blocked/);
    expect(() => s.runToCompletion(t)).toThrow(/blocked with no other thread/);
    expect(() => s.step(t)).toThrow(ModelUsageError);
    expect(() => t.start((function* () {})())).toThrow(/still running/);
    expect(() => s.spawn({ name: 'stuck', kind: 'kthread', cpu: 0, mm: null })).toThrow(/already exists/);
    const spin = s.spawn({ name: 'spin', kind: 'kthread', cpu: 0, mm: null });
    spin.start(
      (function* (): ThreadBody<void> {
        for (;;) yield { kind: 'preempt' };
      })(),
    );
    expect(() => s.runToCompletion(spin, 10)).toThrow(/did not finish in 10 steps/);
    const idle = s.spawn({ name: 'idle', kind: 'kthread', cpu: 0, mm: null });
    expect(idle.runnable).toBe(false);
    expect(() => idle.advance()).toThrow(/nothing to run/);
  });

  it('runs nothing and returns when no thread has work', () => {
    const s = new Scheduler(machine(1));
    s.spawn({ name: 'idle', kind: 'kthread', cpu: 0, mm: null });
    s.runRandom();
    expect(s.schedule).toEqual([]);
  });
});

describe('Prng', () => {
  it('is deterministic per seed and stays in range', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Prng(43).next()).not.toBe(xs[0]);
    const r = new Prng(1);
    const ints = Array.from({ length: 200 }, () => r.int(3));
    expect(new Set(ints)).toEqual(new Set([0, 1, 2]));
    expect(() => r.pick([])).toThrow(RangeError);
    expect(new Prng(0).next()).toBe(new Prng(0).next());
  });
});

describe('Scheduler.exit', () => {
  it('forgets an idle thread and refuses one in the middle of its work or of another scheduler', () => {
    const { m, s } = world(3);
    const t = s.thread('vcpu0');
    expect(() => s.exit(t)).toThrow(/middle of its work/);
    s.runToCompletion(t);
    s.exit(t);
    expect(s.threads.has('vcpu0')).toBe(false);
    expect(() => s.thread('vcpu0')).toThrow(ModelUsageError);
    expect(() => s.exit(t)).toThrow(/not on this scheduler/);
    expect(() => new Scheduler(m).exit(s.thread('proc'))).toThrow(/not on this scheduler/);
    // The name is free again, and the other threads still run to their end.
    expect(s.spawn({ name: 'vcpu0', kind: 'vcpu', cpu: 0, mm: null })).not.toBe(t);
    s.runRandom();
    expect(s.runnable()).toEqual([]);
  });
});
