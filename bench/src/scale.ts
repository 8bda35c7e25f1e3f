// The scale suite: every workload on every backend at several CPU counts (16 VMs x 64 vCPUs each
// time), each run in a child process. Prints gpc accesses per CPU-second after setup, the cost per
// access at the largest CPU count over the smallest, setup, teardown and total CPU seconds, the CPU
// seconds 10^7 accesses would take at that rate, and peak RSS at two event counts (memory must follow live
// state, not the number of events). Figures of this host; never part of a report.
//
//   node dist/scale.js [--events N] [--rss-events A,B] [--cpus 64,256,1024]
//                      [--workloads a,b] [--backends x,y] [--json file]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDefaultRegistry } from '@khva/backends';
import { builtinWorkloads } from '@khva/workloads';
import type { ScaleRunRequest, ScaleRunResult } from './scale-sizes.ts';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    'rss-events': { type: 'string', default: '' },
    cpus: { type: 'string', default: '64,256,1024' },
    workloads: { type: 'string', default: builtinWorkloads.map((w) => w.name).join(',') },
    backends: { type: 'string', default: '' },
    json: { type: 'string' },
  },
});

function numbers(flag: string, text: string): number[] {
  const list = text.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1)) {
    console.error(`--${flag}: expected positive integers separated by commas, got "${text}"`);
    process.exit(2);
  }
  return list;
}

const events = numbers('events', values.events)[0]!;
const cpuCounts = numbers('cpus', values.cpus);
const rssEvents = values['rss-events'] ? numbers('rss-events', values['rss-events']) : [events / 10, events];
const workloads = values.workloads.split(',').filter(Boolean);
const backends = values.backends
  ? values.backends.split(',').filter(Boolean)
  : createDefaultRegistry().names();
const child = fileURLToPath(new URL('./scale-run.js', import.meta.url));

function run(request: ScaleRunRequest): ScaleRunResult {
  const out = execFileSync(process.execPath, [child, JSON.stringify(request)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as ScaleRunResult;
}

const fmt = (x: number, digits = 0) => x.toLocaleString('en-US', { maximumFractionDigits: digits });
const maxCpus = Math.max(...cpuCounts);
const minCpus = Math.min(...cpuCounts);
const header = [
  'workload',
  'backend',
  ...cpuCounts.map((c) => `acc/cpu-s @${c}`),
  `cost ${maxCpus}/${minCpus}`,
  `setup cpu s @${maxCpus}`,
  `teardown cpu s @${maxCpus}`,
  `cpu s @${maxCpus}`,
  `wall s @${maxCpus}`,
  `cpu s @${maxCpus} for 10^7 (projected)`,
  ...rssEvents.map((e) => `RSS MiB @${fmt(e)}`),
  'RSS ratio',
];
console.log(
  `scale: ${fmt(events)} gpc accesses per run, 16 VMs x 64 vCPUs, CPUs ${cpuCounts.join('/')}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(header.join(' | '));
const all: ScaleRunResult[] = [];
for (const workload of workloads) {
  for (const backend of backends) {
    const byCpus = cpuCounts.map((cpus) => run({ workload, backend, cpus, events }));
    const rss = rssEvents.map((e) =>
      e === events
        ? byCpus[cpuCounts.indexOf(maxCpus)]!
        : run({ workload, backend, cpus: maxCpus, events: e }),
    );
    all.push(...byCpus, ...rss.filter((r) => !byCpus.includes(r)));
    // CPU time, not wall time: the host is shared, and the target is what one core spends. The
    // cost per access leaves setup and teardown out (both grow with the vCPUs built and are paid
    // once per run, whatever its length); the projection adds them back once.
    const once = (r: ScaleRunResult) => r.setupCpuSeconds + r.teardownCpuSeconds;
    const perOp = (r: ScaleRunResult) => (r.cpuSeconds - once(r)) / r.ops;
    const at = (c: number) => byCpus[cpuCounts.indexOf(c)]!;
    const big = at(maxCpus);
    const row = [
      workload,
      backend,
      ...byCpus.map((r) => fmt(1 / perOp(r))),
      fmt(perOp(big) / perOp(at(minCpus)), 2),
      fmt(big.setupCpuSeconds, 1),
      fmt(big.teardownCpuSeconds, 1),
      fmt(big.cpuSeconds, 1),
      fmt(big.seconds, 1),
      fmt(once(big) + perOp(big) * 1e7, 0),
      ...rss.map((r) => fmt(r.peakRssMiB)),
      fmt(rss[rss.length - 1]!.peakRssMiB / rss[0]!.peakRssMiB, 2),
    ];
    console.log(row.join(' | '));
  }
}
console.log(
  `load average at the end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
if (values.json) writeFileSync(values.json, `${JSON.stringify({ schema: 1, runs: all }, null, 2)}\n`);
