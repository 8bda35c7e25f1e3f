// Record RFC v1's punch-hole race (the gpc is never told its page went away) and write its
// timeline page. Run: node examples/timeline.mjs
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDefaultRegistry } from '@khva/backends';
import { parseScenario } from '@khva/host/scenario';
import { recordScenario, renderTimelineHtml } from '@khva/timeline';

const file = new URL('../../pfncache/scenarios/gmem-punch-hole-rfc-v1.yaml', import.meta.url);
const scenario = parseScenario(readFileSync(file, 'utf8'), 'gmem-punch-hole-rfc-v1.yaml');
const { timeline } = recordScenario(scenario, { registry: createDefaultRegistry() });

for (const s of timeline.steps) {
  const pages = s.pages.map((p) => `${p.pfn} ${p.status}`).join(', ');
  const broke = s.breaks.map((b) => b.name).join(', ');
  console.log(`${s.step} ${s.thread} ${s.op}: pages [${pages}]${broke ? ` BREAKS ${broke}` : ''}`);
}
console.log(`first break at step ${timeline.firstBreak}`);
writeFileSync(join(tmpdir(), 'rfc-v1-timeline.html'), renderTimelineHtml(timeline));
