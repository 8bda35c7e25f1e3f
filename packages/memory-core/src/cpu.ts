import type { Mm } from './mm.ts';
import { Tlb } from './tlb.ts';

/** Execution context of the code running on a CPU. */
export type ExecMode = 'process' | 'atomic' | 'irq';

export class Cpu {
  readonly tlb: Tlb;
  /** The mm whose page tables are loaded (CR3); a kernel thread keeps the previous one (lazy TLB). */
  loadedMm: Mm | null = null;
  /** Name of the thread currently running here, for records. */
  current = 'idle';
  online = true;

  constructor(
    readonly id: number,
    tlbEntries: number,
  ) {
    this.tlb = new Tlb(tlbEntries);
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
