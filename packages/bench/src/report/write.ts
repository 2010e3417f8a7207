import { renameSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '@ftcal/core';
import { type BenchDocument, SCHEMA_VERSION } from '../results.ts';
import { markdown } from './markdown.ts';

/** Written to a temporary name and renamed, so a stopped run never leaves half a report. */
async function writeWhole(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

/**
 * bench-<mode>.json as the run stands, written whole before the call returns (synchronously: the next
 * moment may be a SIGKILL), so a killed run leaves every measurement it made.
 */
export function writeCheckpoint(doc: BenchDocument, outDir: string): void {
  const json = path.join(outDir, `bench-${doc.mode}.json`);
  const tmp = `${json}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(tmp, json);
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

/** Markdown from a saved result document, so the report's wording can change without measuring again. */
export async function renderSaved(jsonPath: string, target: string): Promise<void> {
  let doc: BenchDocument;
  try {
    doc = JSON.parse(await readFile(jsonPath, 'utf8')) as BenchDocument;
  } catch (e) {
    throw new InputError(
      `${jsonPath}: not a readable bench result (${(e as Error).message.split('\n')[0]}); pass a bench-*.json`,
    );
  }
  if (doc.tool !== 'ftcal-bench' || doc.schemaVersion !== SCHEMA_VERSION) {
    throw new InputError(
      `${jsonPath}: not an ftcal-bench result of schema ${SCHEMA_VERSION}; run pnpm bench again`,
    );
  }
  await writeWhole(target, markdown(doc));
}
