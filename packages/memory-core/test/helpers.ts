import {
  type ExecContext,
  type ExecMode,
  type Frame,
  Machine,
  type MachineOptions,
  type Mm,
} from '../src/index.ts';

/** A machine with `cpus` CPUs and otherwise default options. */
export function machine(cpus = 4, options: Partial<MachineOptions> = {}): Machine {
  return new Machine({ cpus, ...options });
}

/** Where an access happens: CPU `cpu` in `mode`. */
export function on(m: Machine, cpu: number, mode: ExecMode = 'process', who = `t${cpu}`): ExecContext {
  return { cpu: m.cpu(cpu), mode, who };
}

/** A VM's guest frame (owner 1, running in `vmMm`), already removed from the direct map. */
export function guestFrame(m: Machine, vmMm: Mm, tag: 'secret' | 'pv' = 'secret', removed = true): Frame {
  const f = m.mem.alloc(1, vmMm.id, tag);
  if (removed) m.removeFromDirectMap(f.pfn);
  return f;
}

/** Advance simulated time by `rows` x the memslotUpdate row (50,000 cycles each by default). */
export function advance(m: Machine, rows = 1): number {
  const before = m.ledger.nowNs;
  m.ledger.charge('memslotUpdate', rows);
  return m.ledger.nowNs - before;
}

export const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
