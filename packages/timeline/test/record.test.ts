import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createDefaultRegistry } from '@khva/backends';
import { parseScenario, type Scenario } from '@khva/host/scenario';
import { describe, expect, it } from 'vitest';
import { recordScenario, renderTimelineHtml } from '../src/index.ts';

const shipped = (name: string) =>
  parseScenario(
    readFileSync(new URL(`../../pfncache/scenarios/${name}.yaml`, import.meta.url), 'utf8'),
    name,
  );
const registry = createDefaultRegistry();

describe('recordScenario', () => {
  it('marks the punch-hole that RFC v1 never invalidates and the use-after-free after it', () => {
    const { run, timeline } = recordScenario(shipped('gmem-punch-hole-rfc-v1'), { registry });
    expect(run.ok).toBe(true);
    expect(timeline.firstBreak).toBe(2);
    const [, punch, , use] = timeline.steps;
    expect(punch?.breaks.map((b) => b.name)).toEqual(['valid-pfn-is-current']);
    expect(punch?.breaks[0]?.meaning).toContain('holds the pfn the memory maps now');
    // The cached page was freed by the punch, then handed out as another folio on the VMM's CPU: reused.
    const cached = timeline.steps[0]?.caches[0]?.pfn;
    expect(punch?.pages.find((p) => p.pfn === cached)?.status).toBe('freed');
    expect(timeline.steps[2]?.pages.find((p) => p.pfn === cached)?.status).toBe('reused');
    expect(use?.breaks.map((b) => b.kind)).toContain('use-after-free');
  });

  it('shades the unlocked window: the refresh holds refresh_lock, not gpc->lock, while paused in it', () => {
    const { timeline } = recordScenario(shipped('r02-invalidation-in-window'), { registry });
    const paused = timeline.steps.find((s) => s.pauseAt === 'mapped');
    expect(paused).toBeDefined();
    const cell = paused?.threads[paused.thread];
    expect(cell?.status).toBe('paused');
    expect(cell?.unlockedWindow).toBeDefined();
    expect(cell?.holds.some((h) => h.endsWith('.refresh_lock'))).toBe(true);
    expect(cell?.holds.some((h) => h.includes('.lock ('))).toBe(false);
    const cache = paused?.caches.find((c) => c.name === cell?.unlockedWindow);
    expect(cache?.valid).toBe(false);
    expect(cache?.refreshLock).toBe(paused?.thread);
    // The invalidation in the window bumps mmu_invalidate_seq on the step after.
    const after = timeline.steps[timeline.steps.indexOf(paused as never) + 1];
    expect(after?.vms[0]?.mmuInvalidateSeq).toBeGreaterThan(paused?.vms[0]?.mmuInvalidateSeq ?? 0);
  });

  it('marks the step whose expect fails', () => {
    const s = shipped('r02-invalidation-in-window');
    const broken: Scenario = {
      ...s,
      steps: s.steps.map((st, i) => (i === 0 ? { ...st, expect: { result: 'EINVAL' as const } } : st)),
    };
    const { run, timeline } = recordScenario(broken, { registry });
    expect(run.ok).toBe(false);
    expect(timeline.firstBreak).toBe(1);
    expect(timeline.steps[0]?.breaks[0]?.kind).toBe('expect');
  });
});

describe('every shipped scenario', () => {
  it('has a timeline page: it records, every expect holds, and the page marks exactly the breaking rows', () => {
    const root = new URL('../../', import.meta.url);
    const files = readdirSync(root).flatMap((pkg) => {
      const dir = new URL(`${pkg}/scenarios/`, root);
      return existsSync(dir)
        ? readdirSync(dir)
            .filter((f) => f.endsWith('.yaml'))
            .map((f) => new URL(f, dir))
        : [];
    });
    expect(files.length).toBeGreaterThan(15);
    for (const file of files) {
      const { run, timeline } = recordScenario(parseScenario(readFileSync(file, 'utf8'), file.pathname), {
        registry,
      });
      expect(run.ok, file.pathname).toBe(true);
      expect(timeline.steps).toHaveLength(run.trace.length);
      const html = renderTimelineHtml(timeline);
      const marked = [...html.matchAll(/<tr data-step="(\d+)" class="break"/g)].map((m) => Number(m[1]));
      expect(marked).toEqual(timeline.steps.filter((s) => s.breaks.length > 0).map((s) => s.step));
    }
  });
});

describe('renderTimelineHtml', () => {
  it('writes one page with no external resource, a column per thread and the break marked', () => {
    const { timeline } = recordScenario(shipped('gmem-punch-hole-rfc-v1'), { registry });
    const html = renderTimelineHtml(timeline);
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
    expect(html.match(/<th>[^<]+<small>/g)).toHaveLength(timeline.threads.length);
    expect(html).toContain('<tr data-step="2" class="break" data-break="true">');
    expect(html).toContain('data-break-name="valid-pfn-is-current"');
    const data = html.match(/<script type="application\/json" id="timeline-data">(.*?)<\/script>/s)?.[1];
    expect(JSON.parse(data ?? 'null')).toEqual(JSON.parse(JSON.stringify(timeline)));
  });
});
