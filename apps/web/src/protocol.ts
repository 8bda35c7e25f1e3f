// Messages between the page and the model's worker.

export type ToWorker =
  | { readonly type: 'run'; readonly text: string; readonly format: 'json' | 'yaml'; readonly source: string }
  | { readonly type: 'scenario'; readonly text: string; readonly name: string; readonly backend?: string }
  | { readonly type: 'open'; readonly text: string; readonly name: string };

export type FromWorker =
  /** Sent once at start: the names the config may use. */
  | { readonly type: 'catalog'; readonly backends: readonly string[]; readonly workloads: readonly string[] }
  | { readonly type: 'progress'; readonly position: number; readonly total: number; readonly label: string }
  /** The config is invalid: the same message the CLI prints after `khva-bench: `. */
  | { readonly type: 'config-error'; readonly message: string }
  | { readonly type: 'error'; readonly message: string }
  | {
      readonly type: 'report';
      /** report.json, report.md, report.html, byte for byte what `khva-bench run` writes. */
      readonly files: Readonly<Record<string, string>>;
      readonly runs: number;
      readonly ms: number;
    }
  | {
      readonly type: 'timeline';
      readonly html: string;
      readonly ok: boolean;
      readonly firstBreak: number | null;
    }
  | { readonly type: 'opened'; readonly kind: 'report' | 'sweep'; readonly html: string };
