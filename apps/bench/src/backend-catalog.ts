// The backend names a build of the bench app knows, each with one line of description for `khva-bench list`.
// Workloads create the backends themselves from these names; the bench app only validates and passes them on.

export interface BackendCatalog {
  /** Names in the order `list` prints them. */
  names(): string[];
  /** One line describing the backend; throws for an unknown name. */
  describe(name: string): string;
}

export interface BackendEntry {
  readonly name: string;
  readonly summary: string;
}

/** A catalog from a fixed list; throws on a duplicate name. */
export function createBackendCatalog(entries: readonly BackendEntry[]): BackendCatalog {
  const byName = new Map<string, string>();
  for (const { name, summary } of entries) {
    if (byName.has(name)) throw new Error(`backend "${name}" is listed twice`);
    byName.set(name, summary);
  }
  return {
    names: () => [...byName.keys()],
    describe(name) {
      const summary = byName.get(name);
      if (summary === undefined) throw new Error(`unknown backend "${name}"`);
      return summary;
    },
  };
}
