// Writes the report files as one set: a reader (or a crash, a full disk, a Ctrl-C) sees the whole old report
// or the whole new one, never report.json of one run beside report.html of another.
//
// Layout inside the output directory D (everything stays inside D, so D's parent need not be writable):
//   D/.khva-report/gen-XXXX/      one complete generation of the files
//   D/.khva-report/current        symlink to the generation readers see
//   D/report.json                 symlink to .khva-report/current/report.json (likewise each file)
// A new generation is written beside the old one, then `current` is replaced by one rename(2), which is
// atomic: that single step switches every file at once. The old generation is removed afterwards.
import { randomBytes } from 'node:crypto';
import {
  link,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readlink,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';

/** File name -> content. */
export type ReportFiles = Readonly<Record<string, string>>;

/** The hidden directory inside the output directory that holds the generations and the pointer. */
export const REPORT_STORE = '.khva-report';
const CURRENT = 'current';

export interface WriteReportOptions {
  /** Aborts before the switch: the new generation is removed and the old report stays as it was. */
  readonly signal?: AbortSignal;
  /** Awaited just before the switch (a test hook: it lets a test interrupt the final step). */
  readonly beforeSwitch?: () => Promise<void>;
}

/** A report that cannot be written where asked; nothing was changed. */
export class ReportWriteError extends Error {
  override readonly name = 'ReportWriteError';
}

function errnoOf(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return null;
    throw error;
  }
}

async function readlinkOrNull(path: string): Promise<string | null> {
  try {
    return await readlink(path);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'EINVAL') return null;
    throw error;
  }
}

/** Points `path` at `target` with a symlink made under a temporary name and renamed over `path`. */
async function replaceWithSymlink(path: string, target: string): Promise<void> {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await symlink(target, temporary);
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/**
 * What stands in the way of writing `names` into `outDir`, checked before any run so a bad `--out` is
 * reported at once: `outDir` must be a directory (or not exist yet) and no report name may be a directory.
 */
export async function reportTargetProblem(outDir: string, names: readonly string[]): Promise<string | null> {
  const target = resolve(outDir);
  const stat = await lstatOrNull(target).catch(() => null);
  if (stat === null) return null;
  if (!stat.isDirectory() && !(stat.isSymbolicLink() && (await lstatOrNull(join(target, '.'))) !== null))
    return `${target} is not a directory`;
  for (const name of names) {
    const entry = await lstatOrNull(join(target, name)).catch(() => null);
    if (entry?.isDirectory()) return `${join(target, name)} is a directory; a report file cannot replace it`;
  }
  return null;
}

/** Writes `files` into `outDir` (created if missing) as one generation; see the layout above. */
export async function writeReportFiles(
  outDir: string,
  files: ReportFiles,
  options: WriteReportOptions = {},
): Promise<void> {
  const target = resolve(outDir);
  const names = Object.keys(files);
  await mkdir(target, { recursive: true });
  const problem = await reportTargetProblem(target, names);
  if (problem !== null) throw new ReportWriteError(problem);
  const store = join(target, REPORT_STORE);
  const madeStore = (await lstatOrNull(store)) === null;
  await mkdir(store, { recursive: true });
  const pointer = join(store, CURRENT);
  const previous = await readlinkOrNull(pointer);

  // Leftovers of a run killed outright (SIGKILL, power loss): every generation but the current one.
  for (const entry of await readdir(store)) {
    if (entry !== CURRENT && entry !== previous)
      await rm(join(store, entry), { recursive: true, force: true });
  }

  const pointNamesAtCurrent = async () => {
    for (const name of names) {
      const wanted = join(REPORT_STORE, CURRENT, name);
      if ((await readlinkOrNull(join(target, name))) !== wanted)
        await replaceWithSymlink(join(target, name), wanted);
    }
  };
  const generation = await mkdtemp(join(store, 'gen-'));
  let switched = false;
  let keptLegacy = false;
  try {
    for (const [name, content] of Object.entries(files))
      await writeFile(join(generation, name), content, 'utf8');

    // Reports written before this layout are plain files: keep them readable as the current generation
    // (hard links, no copy) so that turning them into symlinks never shows a missing or mixed set.
    let hasPointer = previous !== null;
    if (!hasPointer) {
      const plain: string[] = [];
      for (const name of names) if ((await lstatOrNull(join(target, name)))?.isFile()) plain.push(name);
      if (plain.length > 0) {
        const legacy = await mkdtemp(join(store, 'gen-'));
        for (const name of plain) await link(join(target, name), join(legacy, name));
        await replaceWithSymlink(pointer, basename(legacy));
        hasPointer = true;
        keptLegacy = true;
      }
    }
    // Each name points through `current`: made once, then only `current` changes.
    if (hasPointer) await pointNamesAtCurrent();

    options.signal?.throwIfAborted();
    await options.beforeSwitch?.();
    options.signal?.throwIfAborted();
    // The switch: one rename replaces the pointer, and with it every file.
    await replaceWithSymlink(pointer, basename(generation));
    switched = true;
    // First report in this directory: there is no old set to keep, the names appear now.
    if (!hasPointer) await pointNamesAtCurrent();
  } finally {
    if (!switched) {
      await rm(generation, { recursive: true, force: true });
      // A store made by this call holds nothing anyone reads, unless the older plain files moved into it.
      if (madeStore && !keptLegacy) await rm(store, { recursive: true, force: true });
    }
  }
  // The old generation (also the legacy one made above) is unreachable now.
  for (const entry of await readdir(store)) {
    if (entry !== CURRENT && entry !== basename(generation))
      await rm(join(store, entry), { recursive: true, force: true });
  }
}
