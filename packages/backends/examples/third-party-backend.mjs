// A third-party backend plugged in by name, without touching khva's packages: the "kmap-restore"
// backend of ./kmap-restore.mjs registered next to the built-ins and run on a scenario file.
import { createDefaultRegistry } from '@khva/backends';
import { runScenarioFile } from '@khva/host/scenario/file';
import { kmapRestoreBackend } from './kmap-restore.mjs';

const registry = createDefaultRegistry([kmapRestoreBackend]);
console.log(`backends: ${registry.names().join(', ')}`);
const file = new URL('../scenarios/kvmclock-and-xen-irq.yaml', import.meta.url).pathname;
const run = runScenarioFile(file, { registry, backend: 'kmap-restore' });
for (const t of run.trace)
  console.log(`${t.step} ${t.thread} ${t.op}: ${JSON.stringify(t.result)}${t.oops ? ' OOPS' : ''}`);
