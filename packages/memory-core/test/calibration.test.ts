import { describe, expect, it } from 'vitest';
import {
  Calibration,
  CostLedger,
  defaultCalibration,
  Machine,
  ModelUsageError,
  VMALLOC_START,
} from '../src/index.ts';
import { machine } from './helpers.ts';

describe('calibration table', () => {
  it('is data: every row has cycles, a source, a confidence and a reference', () => {
    const rows = Object.entries(defaultCalibration.rows);
    expect(rows.length).toBeGreaterThanOrEqual(37);
    expect(defaultCalibration.ghz).toBe(2.7);
    for (const [name, row] of rows) {
      expect(row.cycles, name).toBeGreaterThanOrEqual(0);
      expect(row.source.length, name).toBeGreaterThan(10);
      expect(['high', 'medium', 'low'], name).toContain(row.confidence);
      expect(row.ref, name).not.toBe('');
    }
    expect(defaultCalibration.rows.invlpg?.cycles).toBe(260);
    expect(new Calibration().names()).toEqual(Object.keys(defaultCalibration.rows));
  });

  it('rejects an unknown row name with the list of known rows', () => {
    let err: unknown;
    try {
      new Calibration({ invlgp: 100 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelUsageError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^calibration\.invlgp: unknown cost row; known rows: tlbHit, stlbHit, pageWalk, /);
    for (const name of Object.keys(defaultCalibration.rows)) expect(msg).toContain(name);
    expect(() => new Machine({ cpus: 1, calibration: { nope: 1 } })).toThrow(
      /calibration\.nope: unknown cost row/,
    );
  });

  it('rejects negative or non-finite cycle counts', () => {
    expect(() => new Calibration({ invlpg: -1 })).toThrow(
      /calibration\.invlpg: must be a finite number of cycles >= 0/,
    );
    expect(() => new Calibration({ invlpg: Number.NaN })).toThrow(ModelUsageError);
    expect(() => new Calibration({ invlpg: Number.POSITIVE_INFINITY })).toThrow(ModelUsageError);
    expect(new Calibration({ invlpg: 0 }).get('invlpg')).toBe(0);
  });

  it('changes the cycles a primitive charges when overridden from configuration', () => {
    const base = machine(2);
    const tuned = machine(2, { calibration: { invlpg: 1000, ipiInitiatorBase: 0 } });
    for (const m of [base, tuned]) m.flushTlbKernelRange(m.cpu(0), VMALLOC_START, VMALLOC_START + 4096);
    expect(base.ledger.byRow.get('invlpg')).toBe(2 * 260);
    expect(tuned.ledger.byRow.get('invlpg')).toBe(2 * 1000);
    expect(base.ledger.byRow.get('ipiInitiatorBase')).toBe(2000);
    // A zero-cost row charges nothing and is left out of the breakdown.
    expect(tuned.ledger.byRow.has('ipiInitiatorBase')).toBe(false);
    expect(tuned.ledger.cycles - base.ledger.cycles).toBe(2 * (1000 - 260) - 2000);
    // Counters do not depend on costs.
    expect(tuned.ledger.counters).toEqual(base.ledger.counters);
  });

  it('turns cycles into simulated nanoseconds at the table clock', () => {
    const l = new CostLedger(new Calibration({ pageZero: 2700 }));
    expect(l.nowNs).toBe(0);
    l.charge('pageZero', 3);
    expect(l.cycles).toBe(8100);
    expect(l.byRow.get('pageZero')).toBe(8100);
    expect(l.nowNs).toBeCloseTo(3000, 9);
  });
});

describe('machine options', () => {
  it('validates cpus, memory and TLB size with messages naming the option', () => {
    expect(() => new Machine({ cpus: 0 })).toThrow(/machine\.cpus: must be an integer from 1 to 4096, got 0/);
    expect(() => new Machine({ cpus: 1.5 })).toThrow(/machine\.cpus/);
    expect(() => new Machine({ cpus: 1, memGiB: 0.5 })).toThrow(/machine\.memGiB/);
    expect(() => new Machine({ cpus: 1, tlbEntries: 0 })).toThrow(/machine\.tlbEntries/);
    const m = new Machine({ cpus: 3, memGiB: 2, tlbEntries: 8 });
    expect(m.cpus).toHaveLength(3);
    expect(m.onlineCpus).toHaveLength(3);
    expect(m.mem.totalPages).toBe(2 * 262144);
    expect(m.cpu(0).tlb.capacity).toBe(8);
    expect(m.singlePageFlushCeiling).toBe(33);
    expect(() => m.cpu(3)).toThrow(/cpu 3 does not exist \(machine has 3\)/);
  });
});
