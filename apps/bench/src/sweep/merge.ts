// Joins the sweep.json of every shard into the sweep one machine would have written, refusing shards of
// another sweep or build, points missing or given twice. Every problem with one file names that file and
// the field (an InputError, exit 2); problems of the set as a whole are a MergeError.
import { toConfigIssues } from '../config/issues.ts';
import { InputError, type InputIssue } from '../input/input-error.ts';
import { INPUT_LIMITS } from '../input/limits.ts';
import { parseMapping } from '../input/parse-document.ts';
import { buildSweep, type Sweep, type SweepPointResult } from './sweep.ts';
import { SWEEP_OUTPUT_SCHEMA } from './sweep-schema.ts';

/** What a sweep.json is called in messages: `invalid sweep result DIR/sweep.json: FIELD: ...`. */
export const SWEEP_RESULT_KIND = 'sweep result';

export class MergeError extends Error {
  override readonly name = 'MergeError';
}

export interface ShardFile {
  /** Where it came from, for messages. */
  readonly source: string;
  readonly text: string;
}

const fileError = (source: string, issue: InputIssue) => new InputError(SWEEP_RESULT_KIND, source, [issue]);

/** A sweep.json's text -> Sweep, through the hardened JSON parser and the published schema; an InputError. */
export function parseSweepText(file: ShardFile): Sweep {
  const raw = parseMapping(file.text, { format: 'json', kind: SWEEP_RESULT_KIND, source: file.source });
  const parsed = SWEEP_OUTPUT_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const issues = toConfigIssues(parsed.error, SWEEP_OUTPUT_SCHEMA);
    throw new InputError(SWEEP_RESULT_KIND, file.source, issues.slice(0, INPUT_LIMITS.issuesShown));
  }
  // The schema lists every metric key as required, which its record-typed output cannot express.
  const sweep = parsed.data as unknown as Sweep;
  if (sweep.pointCount > INPUT_LIMITS.sweepPoints)
    throw fileError(file.source, {
      path: 'pointCount',
      message: `${sweep.pointCount} points; a sweep has at most ${INPUT_LIMITS.sweepPoints}`,
    });
  sweep.points.forEach((point, i) => {
    if (point.index >= sweep.pointCount)
      throw fileError(file.source, {
        path: `points[${i}].index`,
        message: `${point.index} is past the sweep's ${sweep.pointCount} points (pointCount)`,
      });
  });
  return sweep;
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
      throw fileError(source, {
        path: 'configHash',
        message: `from another sweep config (${sweep.configHash.slice(0, 12)}) than ${firstSource} (${first.configHash.slice(0, 12)}); run every shard from the same sweep file`,
      });
    }
    if (sweep.build !== first.build) {
      throw fileError(source, {
        path: 'build',
        message: `run by another build (${sweep.build.slice(0, 12)}) than ${firstSource} (${first.build.slice(0, 12)}); run every shard from the same build`,
      });
    }
    sweep.points.forEach((point, p) => {
      const seen = byIndex.get(point.index);
      if (seen !== undefined) {
        throw fileError(source, {
          path: `points[${p}]`,
          message: `point ${point.index} (${point.id}) is also in ${seen.source}; give each shard once`,
        });
      }
      byIndex.set(point.index, { point, source });
    });
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
