// The pickers edit the config text (the text stays what runs, what the URL carries and what the CLI
// would read): seed, CPUs, which backends and which workloads, keeping every other field as written.
import { isMap, isSeq, parseDocument } from 'yaml';

export interface Picks {
  readonly seed?: number;
  readonly cpus?: number;
  readonly backends: readonly string[];
  readonly workloads: readonly string[];
}

/** What the text picks now; null when it is not a YAML mapping (the run will say why). */
export function readPicks(text: string): Picks | null {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return null;
  const seed = doc.get('seed');
  const cpus = doc.getIn(['machine', 'cpus']);
  const backends = doc.get('backends');
  const workloads = doc.get('workloads');
  return {
    ...(typeof seed === 'number' ? { seed } : {}),
    ...(typeof cpus === 'number' ? { cpus } : {}),
    backends: isSeq(backends) ? backends.items.map((i) => String((i as { value?: unknown }).value ?? i)) : [],
    workloads: isMap(workloads)
      ? workloads.items.map((p) => String((p.key as { value?: unknown }).value ?? p.key))
      : [],
  };
}

/** The text with one pick changed; other fields, comments and workload parameters stay as written. */
export function applyPick(
  text: string,
  change:
    | { readonly seed: number }
    | { readonly cpus: number }
    | { readonly backend: string; readonly on: boolean }
    | { readonly workload: string; readonly on: boolean },
): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return text;
  if ('seed' in change) doc.set('seed', change.seed);
  else if ('cpus' in change) doc.setIn(['machine', 'cpus'], change.cpus);
  else if ('backend' in change) {
    const now = readPicks(text)?.backends ?? [];
    const next = change.on ? [...new Set([...now, change.backend])] : now.filter((b) => b !== change.backend);
    const seq = doc.createNode(next);
    seq.flow = true;
    doc.set('backends', seq);
  } else if (change.on) {
    if (!doc.hasIn(['workloads', change.workload])) {
      if (!isMap(doc.get('workloads'))) doc.set('workloads', doc.createNode({}));
      const params = doc.createNode({});
      params.flow = true;
      doc.setIn(['workloads', change.workload], params);
    }
  } else {
    doc.deleteIn(['workloads', change.workload]);
  }
  return doc.toString();
}
