// `khva-bench merge DIR...`: joins the sweep.json of each shard directory into one sweep and writes all
// its files, byte-identical to the sweep run on one machine.
import { EXIT_USAGE } from '../exit-codes.ts';
import { InputError } from '../input/input-error.ts';
import type { CliIo } from '../io.ts';
import { MergeError, mergeSweeps, type ShardFile } from '../sweep/merge.ts';
import { readSweepResultFile } from '../sweep/read-sweep-result.ts';
import { writeSweep } from './sweep.ts';

export async function mergeCommand(dirs: readonly string[], out: string, io: CliIo): Promise<number> {
  const started = io.now();
  try {
    const files: ShardFile[] = [];
    for (const dir of dirs) files.push(await readSweepResultFile(io.cwd, dir));
    return await writeSweep(mergeSweeps(files), out, io, started);
  } catch (error) {
    if (error instanceof InputError) {
      io.stderr.write(`khva-bench: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof MergeError) {
      io.stderr.write(`khva-bench: cannot merge: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
