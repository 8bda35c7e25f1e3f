// Records a scenario run as a timeline: the scenario runner calls back after every step and the
// world's public state (scheduler, caches and their locks, VMs, frames, TLBs) is read into a row.

import {
  type RunScenarioOptions,
  runScenario,
  type Scenario,
  type ScenarioRun,
  type ScenarioWorld,
  type TraceEntry,
} from '@khva/host/scenario';
import { formatVa, PAGE_SIZE } from '@khva/memory-core';
import { checkInvariants, invariants } from '@khva/pfncache';
import type {
  Breakage,
  CacheState,
  PageState,
  StaleTlbEntry,
  ThreadCell,
  Timeline,
  TimelineStep,
  VmState,
} from './timeline.ts';

/** What an invariant says, by its name (the model's description; spec section in brackets). */
export function invariantMeaning(name: string): string {
  const inv = invariants.find((i) => i.name === name);
  if (!inv) return name;
  return inv.spec === 'model' ? inv.description : `${inv.description} (spec invariant ${inv.spec})`;
}

function threadCells(w: ScenarioWorld): Record<string, ThreadCell> {
  const out: Record<string, ThreadCell> = {};
  for (const t of w.kvm.scheduler.threads.values()) {
    const holds: string[] = [];
    let unlockedWindow: string | undefined;
    for (const c of w.caches.values()) {
      if (c.lock.writer === t) holds.push(`${c.name}.lock (write)`);
      if (c.lock.readers.has(t)) holds.push(`${c.name}.lock (read)`);
      if (c.refreshLock.owner === t) {
        holds.push(`${c.name}.refresh_lock`);
        if (c.inUnlockedWindow) unlockedWindow = c.name;
      }
    }
    const pending = w.pending.get(t.name);
    const label = t.lastYield?.label;
    out[t.name] = {
      cpu: t.cpu.id,
      status: pending ? (t.runnable ? 'paused' : 'blocked') : 'idle',
      ...(pending ? { op: pending.op } : {}),
      ...(pending && label !== undefined ? { at: label } : {}),
      ...(unlockedWindow !== undefined ? { unlockedWindow } : {}),
      holds,
    };
  }
  return out;
}

function cacheStates(w: ScenarioWorld): CacheState[] {
  return [...w.caches.values()].map((c) => {
    let unlockedWindow: string | null = null;
    if (c.inUnlockedWindow) unlockedWindow = c.refreshLock.owner?.name ?? null;
    return {
      name: c.name,
      vm: c.vm.name,
      active: c.active,
      valid: c.valid,
      pfn: c.pfn < 0 ? null : c.pfn,
      khva: c.khva === 0 ? null : formatVa(c.khva),
      lockWriter: c.lock.writer?.name ?? null,
      lockReaders: [...c.lock.readers].map((t) => t.name).sort(),
      refreshLock: c.refreshLock.owner?.name ?? null,
      unlockedWindow,
    };
  });
}

function vmStates(w: ScenarioWorld): VmState[] {
  return [...w.vms.values()].map((vm) => ({
    name: vm.name,
    mmuInvalidateSeq: vm.mmuInvalidateSeq,
    activeInvalidations: vm.mmuInvalidateInProgress,
  }));
}

function staleEntries(w: ScenarioWorld): StaleTlbEntry[] {
  const out: StaleTlbEntry[] = [];
  for (const cpu of w.kvm.machine.cpus) {
    for (const e of cpu.tlb.entries.values()) {
      if (e.stale) out.push({ cpu: cpu.id, va: formatVa(e.vpn * PAGE_SIZE), pfn: e.pfn });
    }
  }
  return out;
}

/** Pages are followed from the first step they show up in, by what they held then. */
class PageWatch {
  private readonly seen = new Map<number, string>();

  constructor(private readonly w: ScenarioWorld) {}

  private note(pfn: number): void {
    if (this.seen.has(pfn)) return;
    const f = this.w.kvm.machine.mem.get(pfn);
    if (f) this.seen.set(pfn, f.ident);
  }

  states(stale: readonly StaleTlbEntry[]): PageState[] {
    for (const c of this.w.caches.values()) if (c.pfn >= 0) this.note(c.pfn);
    for (const vm of this.w.vms.values()) {
      for (const file of vm.gmemFiles) for (const pfn of file.folios.values()) this.note(pfn);
    }
    for (const e of stale) this.note(e.pfn);
    const m = this.w.kvm.machine;
    return [...this.seen].map(([pfn, was]) => {
      const f = m.mem.get(pfn);
      let status: PageState['status'];
      if (!f || f.owner < 0) status = 'freed';
      else if (f.ident !== was) status = 'reused';
      else status = m.directMap.isPresent(pfn) ? 'mapped' : 'zapped';
      return { pfn, status, was, ...(f && f.ident !== was ? { now: f.ident } : {}) };
    });
  }
}

function breakages(w: ScenarioWorld, entry: TraceEntry): Breakage[] {
  const out: Breakage[] = [];
  if (entry.violations.length > 0) {
    const details = checkInvariants(w.caches.values());
    for (const name of entry.violations) {
      const d = details.filter((v) => v.invariant === name).map((v) => `${v.cache}: ${v.detail}`);
      out.push({
        kind: 'invariant',
        name,
        meaning: invariantMeaning(name),
        ...(d.length > 0 ? { detail: d.join('; ') } : {}),
      });
    }
  }
  for (const o of entry.oops ?? []) {
    out.push({
      kind: 'oops',
      name: 'oops',
      meaning: 'a kernel access through an address with no translation: the kernel oopses',
      detail: JSON.stringify(o),
    });
  }
  if (entry.useAfterFree) {
    out.push({
      kind: 'use-after-free',
      name: 'use-after-free',
      meaning: 'an access went through a stale mapping to a frame already freed or handed to someone else',
    });
  }
  if (entry.error !== undefined) out.push({ kind: 'error', name: 'error', meaning: entry.error });
  return out;
}

/** The kernel switches the scenario sets (unset ones left out). */
function kernelSwitches(s: Scenario): Record<string, boolean | string> {
  const out: Record<string, boolean | string> = {};
  for (const [k, v] of Object.entries(s.kernel)) if (v !== undefined) out[k] = v;
  return out;
}

export interface RecordOptions extends Omit<RunScenarioOptions, 'onStep'> {
  /** Title of the page (default: the scenario's name). */
  readonly title?: string;
}

export interface Recording {
  readonly run: ScenarioRun;
  readonly timeline: Timeline;
}

/** Run a scenario and record its timeline (the run is the one `runScenario` gives, unchanged). */
export function recordScenario(scenario: Scenario, options: RecordOptions): Recording {
  const rows: TimelineStep[] = [];
  let pages: PageWatch | null = null;
  const run = runScenario(scenario, {
    ...options,
    onStep(w, entry) {
      pages ??= new PageWatch(w);
      const staleTlb = staleEntries(w);
      const step = scenario.steps[entry.step - 1];
      rows.push({
        step: entry.step,
        thread: entry.thread,
        op: entry.op,
        result: String(entry.result),
        ...(step?.pauseAt !== undefined ? { pauseAt: step.pauseAt } : {}),
        ...(step?.note !== undefined ? { note: step.note } : {}),
        threads: threadCells(w),
        caches: cacheStates(w),
        vms: vmStates(w),
        pages: pages.states(staleTlb),
        staleTlb,
        breaks: breakages(w, entry),
      });
    },
  });
  if (run.failure && run.failure.key !== 'error') {
    const i = rows.findIndex((r) => r.step === run.failure?.step);
    const row = rows[i];
    if (row) {
      rows[i] = {
        ...row,
        breaks: [
          ...row.breaks,
          { kind: 'expect', name: `expect ${run.failure.key}`, meaning: run.failure.message },
        ],
      };
    }
  }
  const first = rows.find((r) => r.breaks.length > 0);
  const timeline: Timeline = {
    title: options.title ?? scenario.name ?? 'scenario',
    ...(scenario.description !== undefined ? { description: scenario.description } : {}),
    backend: run.backend,
    kernel: kernelSwitches(scenario),
    cpus: scenario.machine.cpus,
    threads: scenario.threads.map((t) => ({
      name: t.name,
      kind: t.kind,
      cpu: t.cpu,
      ...(t.vm !== undefined ? { vm: t.vm } : {}),
    })),
    steps: rows,
    ok: run.ok,
    firstBreak: first?.step ?? null,
  };
  return { run, timeline };
}
