// Writes the report files all or nothing: into a temporary directory next to the output directory first,
// then renamed into place, so a failure never leaves a half-written report behind.
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** File name -> content. */
export type ReportFiles = Readonly<Record<string, string>>;

export async function writeReportFiles(outDir: string, files: ReportFiles): Promise<void> {
  const target = resolve(outDir);
  const parent = dirname(target);
  await mkdir(parent, { recursive: true });
  const staging = await mkdtemp(join(parent, `.${basename(target)}.tmp-`));
  try {
    for (const [name, content] of Object.entries(files))
      await writeFile(join(staging, name), content, 'utf8');
    await mkdir(target, { recursive: true });
    for (const name of Object.keys(files)) await rename(join(staging, name), join(target, name));
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
