import { platform } from '#platform';
import { writeFileAtomic } from '../io/atomic.ts';
import { renderReportHtml } from './html.ts';
import { gammaCurveSvg } from './svg/gamma-curve.ts';
import { logitGapSvg } from './svg/logit-gap.ts';
import { reliabilitySvg } from './svg/reliability.ts';
import type { ReportInput } from './types.ts';

/** Writes the HTML report to `path` through a temp file and rename: a reader never sees half a page. */
export async function writeReport(path: string, input: ReportInput): Promise<void> {
  await writeFileAtomic(path, renderReportHtml(input));
}

/** The standalone SVG files a report has plots for, by file name. */
export function reportPlots(input: ReportInput): { file: string; svg: string }[] {
  const plots: { file: string; svg: string }[] = [];
  if (input.curve) plots.push({ file: 'gamma-curve.svg', svg: gammaCurveSvg(input.curve) });
  if (input.reliability && input.reliability.length > 0) {
    plots.push({ file: 'reliability.svg', svg: reliabilitySvg(input.reliability) });
  }
  if (input.logitGap) plots.push({ file: 'logit-gap.svg', svg: logitGapSvg(input.logitGap) });
  return plots;
}

/** Writes each plot as its own .svg file in `dir` (atomically, one by one); returns the paths written. */
export async function writeReportPlots(dir: string, input: ReportInput): Promise<string[]> {
  const written: string[] = [];
  for (const { file, svg } of reportPlots(input)) {
    const path = platform.joinPath(dir, file);
    await writeFileAtomic(path, `<?xml version="1.0" encoding="UTF-8"?>\n${svg}\n`);
    written.push(path);
  }
  return written;
}
