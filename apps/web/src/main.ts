// The playground page: tabs, pickers and the config text, talking to the model's worker.
import { applyPick, readPicks } from './config-editor.ts';
import type { FromWorker, ToWorker } from './protocol.ts';
import { shippedConfigs, shippedScenarios } from './scenarios.ts';
import { readUrlState, type UrlState, writeUrlState } from './url-state.ts';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing from index.html`);
  return el as T;
};

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker): void => worker.postMessage(m);

const configText = $<HTMLTextAreaElement>('config');
const progress = $<HTMLProgressElement>('progress');
const status = $('status');
const configError = $('config-error');
const runButton = $<HTMLButtonElement>('run');
let configSource = 'config.yaml';
let state: UrlState = readUrlState(location.hash);

function setState(next: UrlState): void {
  state = next;
  history.replaceState(null, '', writeUrlState(state));
  $<HTMLAnchorElement>('share').href = writeUrlState(state);
}

function showTab(tab: UrlState['tab']): void {
  for (const t of ['run', 'scenario', 'open'] as const) $(`tab-${t}`).hidden = t !== tab;
  for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) {
    b.classList.toggle('active', b.dataset.tab === tab);
  }
}

function show(el: HTMLElement, text: string | null): void {
  el.hidden = text === null;
  el.textContent = text ?? '';
}

// --- run a config ---

function syncPickers(): void {
  const p = readPicks(configText.value);
  $<HTMLInputElement>('seed').value = p?.seed === undefined ? '' : String(p.seed);
  $<HTMLInputElement>('cpus').value = p?.cpus === undefined ? '' : String(p.cpus);
  for (const box of document.querySelectorAll<HTMLInputElement>('#backends input')) {
    box.checked = p?.backends.includes(box.value) ?? false;
  }
  for (const box of document.querySelectorAll<HTMLInputElement>('#workloads input')) {
    box.checked = p?.workloads.includes(box.value) ?? false;
  }
}

function edit(change: Parameters<typeof applyPick>[1]): void {
  configText.value = applyPick(configText.value, change);
  syncPickers();
}

function checkboxes(fieldset: string, names: readonly string[], kind: 'backend' | 'workload'): void {
  const set = $(fieldset);
  for (const name of names) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = name;
    box.addEventListener('change', () =>
      edit(kind === 'backend' ? { backend: name, on: box.checked } : { workload: name, on: box.checked }),
    );
    label.append(box, ` ${name}`);
    set.append(label);
  }
}

function run(): void {
  show(configError, null);
  $('downloads').hidden = true;
  progress.value = 0;
  status.textContent = 'validating…';
  runButton.disabled = true;
  setState({ tab: 'run', config: configText.value });
  const format = configSource.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
  send({ type: 'run', text: configText.value, format, source: configSource });
}

function download(id: string, text: string | undefined, type: string): void {
  const a = $<HTMLAnchorElement>(id);
  if (a.href.startsWith('blob:')) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(new Blob([text ?? ''], { type }));
}

// --- scenarios ---

function showScenario(key: string, backend: string | undefined): void {
  const text = shippedScenarios.get(key);
  if (text === undefined) {
    show($('scenario-error'), `no shipped scenario ${key}`);
    return;
  }
  $<HTMLSelectElement>('scenario-pick').value = key;
  setState({ tab: 'scenario', scenario: key, ...(backend !== undefined ? { backend } : {}) });
  runScenario(text, `${key}.yaml`, backend);
}

function runScenario(text: string, name: string, backend: string | undefined): void {
  show($('scenario-error'), null);
  $('scenario-status').textContent = 'running…';
  send({ type: 'scenario', text, name, ...(backend !== undefined ? { backend } : {}) });
}

const scenarioBackend = (): string | undefined => $<HTMLSelectElement>('scenario-backend').value || undefined;

// --- messages from the worker ---

worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'catalog': {
      checkboxes('backends', m.backends, 'backend');
      checkboxes('workloads', m.workloads, 'workload');
      for (const b of m.backends) $('scenario-backend').append(new Option(b, b));
      syncPickers();
      if (state.backend !== undefined) $<HTMLSelectElement>('scenario-backend').value = state.backend;
      if (state.tab === 'run' && state.config !== undefined) run();
      if (state.tab === 'scenario' && state.scenario !== undefined)
        showScenario(state.scenario, state.backend);
      document.body.dataset.ready = 'true';
      break;
    }
    case 'progress':
      progress.max = Math.max(1, m.total);
      progress.value = m.position;
      status.textContent = `${Math.floor(m.position)} of ${m.total} runs · ${m.label}`;
      break;
    case 'config-error':
      runButton.disabled = false;
      status.textContent = 'invalid config';
      show(configError, m.message);
      break;
    case 'error':
      runButton.disabled = false;
      status.textContent = '';
      $('scenario-status').textContent = '';
      show(
        state.tab === 'scenario' ? $('scenario-error') : state.tab === 'open' ? $('open-error') : configError,
        m.message,
      );
      break;
    case 'report':
      runButton.disabled = false;
      progress.value = progress.max;
      status.textContent = `${m.runs} runs in ${(m.ms / 1000).toFixed(1)} s`;
      status.dataset.ms = String(Math.round(m.ms));
      download('dl-json', m.files['report.json'], 'application/json');
      download('dl-md', m.files['report.md'], 'text/markdown');
      download('dl-html', m.files['report.html'], 'text/html');
      $('downloads').hidden = false;
      $<HTMLIFrameElement>('report').srcdoc = m.files['report.html'] ?? '';
      break;
    case 'timeline':
      $('scenario-status').textContent = `${m.ok ? 'every expect held' : 'an expect failed'}${
        m.firstBreak === null ? '' : `; first break at step ${m.firstBreak}`
      }`;
      $<HTMLIFrameElement>('timeline').srcdoc = m.html;
      break;
    case 'opened':
      show($('open-error'), null);
      $<HTMLIFrameElement>('opened').srcdoc = m.html;
      break;
  }
};

// --- wiring ---

for (const b of document.querySelectorAll<HTMLButtonElement>('nav button')) {
  b.addEventListener('click', () => {
    const tab = (b.dataset.tab ?? 'run') as UrlState['tab'];
    showTab(tab);
    setState(tab === 'run' ? { tab, config: configText.value } : { ...state, tab });
  });
}
const configPick = $<HTMLSelectElement>('config-pick');
for (const name of shippedConfigs.keys()) configPick.append(new Option(name, name));
configPick.value = 'default.yaml';
configPick.addEventListener('change', () => {
  configText.value = shippedConfigs.get(configPick.value) ?? '';
  configSource = configPick.value;
  syncPickers();
});
configText.value = state.config ?? shippedConfigs.get('default.yaml') ?? '';
configText.addEventListener('input', syncPickers);
$<HTMLInputElement>('seed').addEventListener('change', (e) =>
  edit({ seed: Number((e.target as HTMLInputElement).value) }),
);
$<HTMLInputElement>('cpus').addEventListener('change', (e) =>
  edit({ cpus: Number((e.target as HTMLInputElement).value) }),
);
$<HTMLInputElement>('config-file').addEventListener('change', async (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (!f) return;
  configSource = f.name;
  configText.value = await f.text();
  syncPickers();
});
runButton.addEventListener('click', run);

const scenarioPick = $<HTMLSelectElement>('scenario-pick');
for (const key of shippedScenarios.keys()) scenarioPick.append(new Option(key, key));
scenarioPick.addEventListener('change', () => showScenario(scenarioPick.value, scenarioBackend()));
$('scenario-backend').addEventListener('change', () => showScenario(scenarioPick.value, scenarioBackend()));
$<HTMLInputElement>('scenario-file').addEventListener('change', async (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) runScenario(await f.text(), f.name, scenarioBackend());
});
$<HTMLInputElement>('open-file').addEventListener('change', async (e) => {
  const f = (e.target as HTMLInputElement).files?.[0];
  if (f) send({ type: 'open', text: await f.text(), name: f.name });
});

showTab(state.tab);
setState(state);
