// The three report files, rendered in memory from one Report.
import { renderHtml } from './html.ts';
import { renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import type { Report } from './report.ts';
import type { ReportFiles } from './write-reports.ts';

export const REPORT_FILE_NAMES = ['report.json', 'report.md', 'report.html'] as const;

export function renderReports(report: Report): ReportFiles {
  return {
    'report.json': renderJson(report),
    'report.md': renderMarkdown(report),
    'report.html': renderHtml(report),
  };
}
