// Deep links: what the page shows lives in the URL's fragment, so a reviewer can share exactly what
// they ran. `#tab=run&config=<the config text>` or `#tab=scenario&scenario=pfncache/r02-...&backend=vmap`.

export interface UrlState {
  readonly tab: 'run' | 'scenario' | 'open';
  readonly config?: string;
  readonly scenario?: string;
  readonly backend?: string;
}

export function readUrlState(hash: string): UrlState {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const tab = p.get('tab');
  const config = p.get('config');
  const scenario = p.get('scenario');
  const backend = p.get('backend');
  return {
    tab: tab === 'scenario' || tab === 'open' ? tab : 'run',
    ...(config !== null ? { config } : {}),
    ...(scenario !== null ? { scenario } : {}),
    ...(backend !== null && backend !== '' ? { backend } : {}),
  };
}

export function writeUrlState(s: UrlState): string {
  const p = new URLSearchParams({ tab: s.tab });
  if (s.config !== undefined) p.set('config', s.config);
  if (s.scenario !== undefined) p.set('scenario', s.scenario);
  if (s.backend !== undefined) p.set('backend', s.backend);
  return `#${p.toString()}`;
}
