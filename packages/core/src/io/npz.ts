import { platform } from '#platform';
import { type ByteSource, memoryBytes, sliceBytes } from './bytes.ts';
import { bytesText, inputError } from './fail.ts';
import { crcOfRange, type DeflatedRange, inflateExact, inflatePrefix, MAX_DEFLATE_RATIO } from './inflate.ts';
import { type ByteInput, openBytes } from './input.ts';
import { type NpySource, npyFromBytes } from './npy.ts';
import { MAX_NPY_HEADER, type NpyOptions, readNpyHeader } from './npy-header.ts';
import { memberDataOffset, readZipDirectory, type ZipEntry } from './zip.ts';

/**
 * .npz archives (numpy.savez / savez_compressed). A stored member is an .npy lying inside the archive,
 * read by ranges in place. A deflated member is decompressed once when opened, because DEFLATE has no
 * random access and the engine reads rows in order but sometimes more than once (nll, temperature):
 * into memory up to `inMemoryLimit` bytes, beyond that (in Node) into an anonymous temp file (unlinked as
 * soon as it is open, so nothing is left behind even on a crash) read by ranges like any .npy.
 */
export interface NpzOptions extends NpyOptions {
  /** The member to read, with or without `.npy`; by default the archive's only member. */
  member?: string;
  /** Absolute cap on a member's decompressed size (zip-bomb defence). Default 64 GiB. */
  maxInflatedBytes?: number;
  /** Deflated members up to this size are decompressed into memory. Default 64 MiB. */
  inMemoryLimit?: number;
  /** Where large deflated members are decompressed (Node). Default: the OS temp directory. */
  tempDir?: string;
  /** The archive's name in messages (default: the path or File name). */
  name?: string;
}

const DEFAULT_MAX_INFLATED = 64 * 2 ** 30;
const DEFAULT_IN_MEMORY = 64 << 20;
/** Stored members up to this size get their CRC checked on open; beyond it that would mean reading it all. */
const STORED_CRC_LIMIT = 64 << 20;

const shortName = (entry: ZipEntry) => entry.name.replace(/\.npy$/, '');

function pickMember(file: string, entries: ZipEntry[], member: string | undefined): ZipEntry {
  const names = entries.map(shortName);
  const list = names.length ? names.join(', ') : 'none';
  if (member !== undefined) {
    const found = entries.find((e) => e.name === member || e.name === `${member}.npy`);
    if (!found)
      throw inputError(
        file,
        `no array '${member}' in the archive (it holds: ${list})`,
        `use ${file}:NAME with one of those`,
        'input',
      );
    return found;
  }
  if (entries.length === 1) return entries[0]!;
  if (entries.length === 0)
    throw inputError(file, 'the archive holds no arrays', 'save at least one array into it');
  throw inputError(
    file,
    `the archive holds ${entries.length} arrays (${list})`,
    `pick one as ${file}:NAME`,
    'input',
  );
}

/** Member names (without `.npy`) of an archive (a path, a Blob or File, or its bytes). */
export async function listNpz(input: ByteInput): Promise<string[]> {
  const bytes = await openBytes(input);
  try {
    return (await readZipDirectory(bytes)).map(shortName);
  } finally {
    await bytes.close();
  }
}

export async function openNpz(input: ByteInput, options: NpzOptions = {}): Promise<NpySource> {
  return npzFromBytes(await openBytes(input, options.name), options);
}

/** Opens one member of the archive in `bytes`, which the returned source owns. */
export async function npzFromBytes(bytes: ByteSource, options: NpzOptions = {}): Promise<NpySource> {
  let keepOpen = false;
  try {
    const entries = await readZipDirectory(bytes);
    const entry = pickMember(bytes.name, entries, options.member);
    const name = `${bytes.name}:${shortName(entry)}`;
    const offset = await memberDataOffset(bytes, entry);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.size) {
        throw inputError(
          name,
          'a stored member whose sizes disagree',
          'the archive is corrupt; re-create it',
        );
      }
      if (
        entry.size <= STORED_CRC_LIMIT &&
        (await crcOfRange(bytes, offset, entry.size)) !== entry.crc32 >>> 0
      ) {
        throw inputError(name, 'CRC-32 mismatch', 'the archive is corrupt; re-create it');
      }
      keepOpen = true;
      return await npyFromBytes(sliceBytes(bytes, offset, entry.size, name), options);
    }
    return await openDeflated(entry, { bytes, offset, compressedSize: entry.compressedSize, name }, options);
  } finally {
    if (!keepOpen) await bytes.close();
  }
}

async function openDeflated(entry: ZipEntry, range: DeflatedRange, options: NpzOptions): Promise<NpySource> {
  const name = range.name;
  const cap = options.maxInflatedBytes ?? DEFAULT_MAX_INFLATED;
  if (entry.size > cap) {
    throw inputError(
      name,
      `declares ${bytesText(entry.size)} decompressed, over the ${bytesText(cap)} limit (a zip bomb?)`,
      'raise {option} if the array is really that large, or save it uncompressed (numpy.savez)',
      'bad-file',
      { name: 'maxInflatedBytes' },
    );
  }
  if (entry.size > entry.compressedSize * MAX_DEFLATE_RATIO + 1024) {
    throw inputError(
      name,
      `declares ${entry.size} bytes from ${entry.compressedSize} compressed, more than DEFLATE can expand`,
      'the archive is corrupt; re-create it',
    );
  }
  // Check the npy header against the declared size before decoding (or allocating) the rest.
  const head = await inflatePrefix(range, Math.min(entry.size, 12 + MAX_NPY_HEADER));
  await readNpyHeader(prefixOnly(head, entry.size, name), options);

  const inMemory = options.inMemoryLimit ?? DEFAULT_IN_MEMORY;
  if (entry.size <= inMemory) {
    const out = new Uint8Array(entry.size);
    let at = 0;
    await inflateExact(range, entry.size, entry.crc32, async (piece) => {
      out.set(piece, at);
      at += piece.length;
    });
    return npyFromBytes(memoryBytes(out, name), options);
  }
  return npyFromBytes(await inflateToScratch(range, entry, options), options);
}

/** A source of `size` bytes of which only `head` is known: enough for header parsing and size checks. */
function prefixOnly(head: Uint8Array, size: number, name: string): ByteSource {
  const inner = memoryBytes(head, name);
  return { ...inner, size };
}

/** Decodes the member into a scratch file (Node) read back by ranges like any .npy. */
async function inflateToScratch(
  range: DeflatedRange,
  entry: ZipEntry,
  options: NpzOptions,
): Promise<ByteSource> {
  const inMemory = options.inMemoryLimit ?? DEFAULT_IN_MEMORY;
  if (!platform.scratchFile) {
    throw inputError(
      range.name,
      `decompresses to ${bytesText(entry.size)}, more than ${bytesText(inMemory)} to hold in memory, and there is no scratch file here (a browser)`,
      'save the archive uncompressed (numpy.savez), whose members are read by ranges, or raise {option}',
      'bad-file',
      { name: 'inMemoryLimit', value: entry.size },
    );
  }
  const scratch = await platform.scratchFile(options.tempDir, 'npz');
  try {
    let at = 0;
    await inflateExact(range, entry.size, entry.crc32, async (piece) => {
      await scratch.write(piece, at);
      at += piece.length;
    });
  } catch (err) {
    await scratch.abort();
    throw err;
  }
  return scratch.finish(entry.size, range.name);
}
