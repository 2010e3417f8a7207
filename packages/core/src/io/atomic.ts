import { platform } from '#platform';

/**
 * Outputs appear whole or not at all (DESIGN.md §3). In Node a writer fills a temp file beside the target
 * and renames it over the target on commit (platform/node/atomic.ts); a browser has no files to write.
 */
export interface AtomicWriter {
  readonly path: string;
  readonly tempPath: string;
  /** Appends bytes; they reach the target only on commit. */
  write(chunk: Uint8Array): Promise<void>;
  /** fsync, rename onto `path`, fsync the directory. */
  commit(): Promise<void>;
  /** Closes and removes the temp file. Safe after commit (then it does nothing) and safe twice. */
  abort(): Promise<void>;
}

export function openAtomicWriter(path: string): Promise<AtomicWriter> {
  return platform.openAtomicWriter(path);
}

/** Writes `chunks` (or one buffer or string) to `path` atomically; on any failure nothing is left behind. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
): Promise<void> {
  const chunks =
    typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data;
  const writer = await openAtomicWriter(path);
  try {
    for (const chunk of chunks) await writer.write(chunk);
    await writer.commit();
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
