import { platform } from '#platform';
import { InputError } from '../errors.ts';
import { type ByteSource, blobBytes, memoryBytes } from './bytes.ts';

/**
 * What every reader takes: a path (Node only), a Blob or File (Node and browsers), or the bytes
 * themselves. Paths are read through a file handle and Blobs by slices, so neither is ever read whole.
 */
export type ByteInput = string | Blob | Uint8Array | ArrayBuffer;

/** The name messages give an input: its path, a File's name, else `name` or a placeholder. */
export function inputName(input: ByteInput, name?: string): string {
  if (typeof input === 'string') return name ?? input;
  if (name !== undefined) return name;
  if (isBlob(input)) return fileName(input) ?? '<blob>';
  return '<bytes>';
}

/** A File's name (File is a Blob with a name; Node has File since 20 too). */
function fileName(blob: Blob): string | undefined {
  const name = (blob as Partial<File>).name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

function isBlob(input: unknown): input is Blob {
  return typeof Blob !== 'undefined' && input instanceof Blob;
}

/** Opens any ByteInput for reading by ranges; `name` overrides the name messages use. */
export function openBytes(input: ByteInput, name?: string): Promise<ByteSource> {
  const label = inputName(input, name);
  if (typeof input === 'string') return platform.openFile(input, label);
  if (isBlob(input)) return Promise.resolve(blobBytes(input, label));
  if (input instanceof Uint8Array) return Promise.resolve(memoryBytes(input, label));
  if (input instanceof ArrayBuffer) return Promise.resolve(memoryBytes(new Uint8Array(input), label));
  throw new InputError({
    code: 'input',
    problem: `cannot read a ${input === null ? 'null' : typeof input} as a file`,
    fix: 'pass a path (in Node), a Blob or File, or the bytes as a Uint8Array or ArrayBuffer',
  });
}

/** Opens the file at `path` (Node) for reading by ranges; in a browser, an InputError. */
export function fileBytes(path: string, name = path): Promise<ByteSource> {
  return platform.openFile(path, name);
}

/** The lower-case extension of a path or file name, with its dot ('' when there is none). */
export function extensionOf(name: string): string {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

/**
 * A whole input's bytes, for the small formats read at once (CSV, class lists), with the name messages
 * use; `check(name, size)` throws before anything is read when the input is larger than the caller takes.
 */
export async function readWhole(
  input: ByteInput,
  check: (name: string, size: number) => void,
  name?: string,
): Promise<{ name: string; bytes: Uint8Array }> {
  const source = await openBytes(input, name);
  try {
    check(source.name, source.size);
    return { name: source.name, bytes: await source.read(0, source.size) };
  } finally {
    await source.close();
  }
}

/** The bytes as UTF-8 text without a byte-order mark, or null when they are not UTF-8. */
export function utf8Text(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return null;
  }
}
