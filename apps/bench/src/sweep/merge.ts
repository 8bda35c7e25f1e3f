// Joins the sweep.json of every shard into the sweep one machine would have written, refusing shards of
// another sweep or build, points missing or given twice.
import { ConfigError, type ConfigIssue } from '../config/config-error.ts';
import { toConfigIssues } from '../config/issues.ts';
import { buildSweep, type Sweep, type SweepPointResult } from './sweep.ts';
import { SWEEP_OUTPUT_SCHEMA } from './sweep-schema.ts';

export class MergeError extends Error {
  override readonly name = 'MergeError';
}

export interface ShardFile {
  /** Where it came from, for messages. */
  readonly source: string;
  readonly text: string;
}

export function parseSweepText(file: ShardFile): Sweep {
  let raw: unknown;
  try {
    raw = JSON.parse(file.text);
  } catch (error) {
    throw new ConfigError(file.source, [{ path: '(syntax)', message: (error as Error).message }]);
  }
  const parsed = SWEEP_OUTPUT_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const issues: ConfigIssue[] = toConfigIssues(parsed.error, SWEEP_OUTPUT_SCHEMA);
    throw new ConfigError(file.source, issues.slice(0, 8));
  }
  // The schema lists every metric key as required, which its record-typed output cannot express.
  return parsed.data as unknown as Sweep;
}

export function mergeSweeps(files: readonly ShardFile[]): Sweep {
  if (files.length === 0) throw new MergeError('give at least one shard directory');
  const sweeps = files.map(parseSweepText);
  const first = sweeps[0] as Sweep;
  const firstSource = (files[0] as ShardFile).source;
  const byIndex = new Map<number, { point: SweepPointResult; source: string }>();
  sweeps.forEach((sweep, i) => {
    const source = (files[i] as ShardFile).source;
    if (sweep.configHash !== first.configHash) {
      throw new MergeError(
        `${source} is from another sweep config (config hash ${sweep.configHash.slice(0, 12)}) than ${firstSource} (${first.configHash.slice(0, 12)}); run every shard from the same sweep file`,
      );
    }
    if (sweep.build !== first.build) {
      throw new MergeError(
        `${source} was run by another build (${sweep.build.slice(0, 12)}) than ${firstSource} (${first.build.slice(0, 12)}); run every shard from the same build`,
      );
    }
    for (const point of sweep.points) {
      const seen = byIndex.get(point.index);
      if (seen !== undefined) {
        throw new MergeError(
          `point ${point.index} (${point.id}) is in both ${seen.source} and ${source}; give each shard once`,
        );
      }
      byIndex.set(point.index, { point, source });
    }
  });
  const missing: number[] = [];
  for (let i = 0; i < first.pointCount; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length > 0) {
    const shown = missing.slice(0, 10).join(', ');
    throw new MergeError(
      `${missing.length} of ${first.pointCount} points are missing (${shown}${missing.length > 10 ? ', ...' : ''}); merge the output of every shard`,
    );
  }
  return buildSweep(
    first,
    [...byIndex.values()].map((v) => v.point),
  );
}
