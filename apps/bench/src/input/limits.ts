// How much input the CLI reads and how deep it looks, checked before any parser runs: a config or a scenario
// is a hand-written file of a few kilobytes, so anything far larger is refused up front instead of parsed.

export const INPUT_LIMITS = {
  /** A bench config (and any other option file): the shipped ones are about 1 KiB. */
  configBytes: 512 * 1024,
  /** A scenario file: room for ten thousand caches with a step each. */
  scenarioBytes: 4 * 1024 * 1024,
  /** A sweep.json that `merge` and `answer --sweep` read back: a few KiB per point. */
  sweepResultBytes: 64 * 1024 * 1024,
  /** Points of one sweep (axes multiplied out, or a sweep.json's pointCount): bounded before expanding. */
  sweepPoints: 10_000,
  /** Nesting of mappings and sequences. */
  maxDepth: 64,
  /** YAML aliases expanded while building the document (an alias bomb is refused, not expanded). */
  maxAliasCount: 100,
  /** Problems listed in one message; the rest are counted. */
  issuesShown: 10,
} as const;

/** `1.5 MiB`, `512 KiB`, `300 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${bytes} bytes`;
}
