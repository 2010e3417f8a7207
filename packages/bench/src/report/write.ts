import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchDocument } from '../results.ts';
import { markdown } from './markdown.ts';

/** Written to a temporary name and renamed, so a stopped run never leaves half a report. */
async function writeWhole(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/** bench-<mode>.json and benchmarks.md under `outDir`, and the markdown at `docsPath` too. */
export async function writeReports(
  doc: BenchDocument,
  outDir: string,
  docsPath: string | null,
): Promise<string[]> {
  const json = path.join(outDir, `bench-${doc.mode}.json`);
  const md = path.join(outDir, 'benchmarks.md');
  const text = markdown(doc);
  await writeWhole(json, `${JSON.stringify(doc, null, 2)}\n`);
  await writeWhole(md, text);
  const written = [json, md];
  if (docsPath) {
    await writeWhole(docsPath, text);
    written.push(docsPath);
  }
  return written;
}
