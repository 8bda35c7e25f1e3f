// The backend names a build of the bench app knows, each with one line of description for `khva-bench list`.
// Workloads create the backends themselves from these names; the bench app only validates and passes them on.

export interface BackendCatalog {
  /** Names in the order `list` prints them. */
  names(): string[];
  /** One line describing the backend; throws for an unknown name. */
  describe(name: string): string;
  /**
   * The options the backend documents, with their defaults (`{}` when it documents none). Used only to
   * describe `backendOptions` in the published JSON Schema; `checkOptions` decides what is accepted.
   */
  defaults(name: string): Readonly<Record<string, unknown>>;
  /**
   * Throws (the factory's own error, naming the option) when `options` would not create this backend;
   * absent: options are passed on unchecked.
   */
  readonly checkOptions?: (name: string, options: Readonly<Record<string, unknown>>) => void;
}

export interface BackendEntry {
  readonly name: string;
  readonly summary: string;
  /** Documented options and their defaults. */
  readonly defaults?: Readonly<Record<string, unknown>>;
}

/** A catalog from a fixed list; throws on a duplicate name. */
export function createBackendCatalog(
  entries: readonly BackendEntry[],
  checkOptions?: (name: string, options: Readonly<Record<string, unknown>>) => void,
): BackendCatalog {
  const byName = new Map<string, BackendEntry>();
  for (const entry of entries) {
    if (byName.has(entry.name)) throw new Error(`backend "${entry.name}" is listed twice`);
    byName.set(entry.name, entry);
  }
  const get = (name: string): BackendEntry => {
    const entry = byName.get(name);
    if (entry === undefined) throw new Error(`unknown backend "${name}"`);
    return entry;
  };
  return {
    names: () => [...byName.keys()],
    describe: (name) => get(name).summary,
    defaults: (name) => ({ ...(get(name).defaults ?? {}) }),
    ...(checkOptions === undefined ? {} : { checkOptions }),
  };
}
