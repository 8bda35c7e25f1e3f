// `khva-bench merge DIR...`: joins the sweep.json of each shard directory into one sweep and writes all
// its files, byte-identical to the sweep run on one machine.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '../config/config-error.ts';
import { EXIT_USAGE } from '../exit-codes.ts';
import type { CliIo } from '../io.ts';
import { MergeError, mergeSweeps, type ShardFile } from '../sweep/merge.ts';
import { writeSweep } from './sweep.ts';

export async function mergeCommand(dirs: readonly string[], out: string, io: CliIo): Promise<number> {
  const started = io.now();
  const files: ShardFile[] = [];
  for (const dir of dirs) {
    const source = join(dir, 'sweep.json');
    try {
      files.push({ source, text: await readFile(resolve(io.cwd, source), 'utf8') });
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      io.stderr.write(`khva-bench: cannot read ${source} (${code}); give each shard's output directory\n`);
      return EXIT_USAGE;
    }
  }
  try {
    return await writeSweep(mergeSweeps(files), out, io, started);
  } catch (error) {
    if (error instanceof MergeError || error instanceof ConfigError) {
      io.stderr.write(`khva-bench: cannot merge: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
