// Reading a sweep.json back (`merge`, `answer --sweep`): the size-limited reader every input file goes
// through, then the hardened parser and the schema (merge.ts). Every failure is an InputError naming the file.
import { join, resolve } from 'node:path';
import { INPUT_LIMITS } from '../input/limits.ts';
import { readInputFile } from '../input/read-input.ts';
import { parseSweepText, type ShardFile, SWEEP_RESULT_KIND } from './merge.ts';
import type { Sweep } from './sweep.ts';

/** The text of DIR/sweep.json, named as the user would (`DIR/sweep.json`); an InputError when unreadable. */
export async function readSweepResultFile(cwd: string, dir: string): Promise<ShardFile> {
  const source = join(dir, 'sweep.json');
  const text = await readInputFile(resolve(cwd, source), {
    kind: SWEEP_RESULT_KIND,
    source,
    maxBytes: INPUT_LIMITS.sweepResultBytes,
  });
  return { source, text };
}

/** DIR/sweep.json read, parsed and checked. */
export async function loadSweepResult(cwd: string, dir: string): Promise<Sweep> {
  return parseSweepText(await readSweepResultFile(cwd, dir));
}
