import type { Mm } from './mm.ts';
import { Tlb } from './tlb.ts';
import type { TlbDirectory } from './tlb-directory.ts';

/** Execution context of the code running on a CPU. */
export type ExecMode = 'process' | 'atomic' | 'irq';

export class Cpu {
  readonly tlb: Tlb;
  /** The mm whose page tables are loaded (CR3); a kernel thread keeps the previous one (lazy TLB). */
  loadedMm: Mm | null = null;
  /** Name of the thread currently running here, for records. */
  current = 'idle';
  // Private state is ES-private (#): only the public accessors below can read or change it, so a
  // checker that records accesses (the explorer) sees every change through `online`.
  #isOnline = true;
  /** The machine's bookkeeping: its TLB index and its set of offline CPUs (absent: a lone CPU). */
  readonly #machine: { readonly directory: TlbDirectory; readonly offline: Set<number> } | undefined;

  constructor(
    readonly id: number,
    tlbEntries: number,
    machine?: { readonly directory: TlbDirectory; readonly offline: Set<number> },
  ) {
    this.#machine = machine;
    this.tlb = new Tlb(tlbEntries, machine ? { index: machine.directory, cpu: id } : undefined);
  }

  get online(): boolean {
    return this.#isOnline;
  }

  /** Take the CPU on- or offline (the machine keeps the offline ones in a set, not by scanning). */
  set online(value: boolean) {
    this.#isOnline = value;
    if (value) this.#machine?.offline.delete(this.id);
    else this.#machine?.offline.add(this.id);
  }
}

/** Where an access happens: which CPU, in which mode (the mm is whatever that CPU has loaded). */
export interface ExecContext {
  readonly cpu: Cpu;
  readonly mode: ExecMode;
  /** Who is running, for oops and fault records. */
  readonly who?: string;
  /**
   * The running task's own mm (current->mm): null for kernel threads (which only borrow the
   * loaded mm) and hard IRQs; undefined when the caller does not say.
   */
  readonly mm?: Mm | null;
}
