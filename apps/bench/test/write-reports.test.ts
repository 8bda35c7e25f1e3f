import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReportFiles } from '../src/report/write-reports.ts';
import { useTempDirs } from './fixtures/temp-dir.ts';

const tempDir = useTempDirs();

describe('writing reports', () => {
  it('creates the directory, replaces old files, keeps unrelated ones, and leaves no staging directory', async () => {
    const root = tempDir();
    const out = join(root, 'deep/out');
    await writeReportFiles(out, { 'a.txt': 'one', 'b.txt': 'two' });
    writeFileSync(join(out, 'mine.txt'), 'keep');
    await writeReportFiles(out, { 'a.txt': 'three', 'b.txt': 'four' });
    expect(readdirSync(out).sort()).toEqual(['.khva-report', 'a.txt', 'b.txt', 'mine.txt']);
    expect(readFileSync(join(out, 'a.txt'), 'utf8')).toBe('three');
    expect(readdirSync(join(root, 'deep'))).toEqual(['out']);
  });

  it('fails without touching the target when it cannot be created', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'parent'));
    writeFileSync(join(root, 'parent/out'), 'a file');
    await expect(writeReportFiles(join(root, 'parent/out'), { 'a.txt': 'x' })).rejects.toThrow();
    expect(readdirSync(join(root, 'parent'))).toEqual(['out']);
    expect(readFileSync(join(root, 'parent/out'), 'utf8')).toBe('a file');
  });
});
