import { mkdtemp, open, rmdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ByteSource, fileBytes, handleBytes, memoryBytes, sliceBytes } from './bytes.ts';
import { bytesText, inputError } from './fail.ts';
import { crcOfRange, type DeflatedRange, inflateExact, inflatePrefix, MAX_DEFLATE_RATIO } from './inflate.ts';
import { type NpySource, npyFromBytes } from './npy.ts';
import { MAX_NPY_HEADER, type NpyOptions, readNpyHeader } from './npy-header.ts';
import { memberDataOffset, readZipDirectory, type ZipEntry } from './zip.ts';

/**
 * .npz archives (numpy.savez / savez_compressed). A stored member is an .npy lying inside the archive,
 * read by ranges in place. A deflated member is decompressed once when opened, because DEFLATE has no
 * random access and the engine reads rows in order but sometimes more than once (nll, temperature):
 * into memory up to `inMemoryLimit` bytes, beyond that into an anonymous temp file (unlinked as soon as
 * it is open, so nothing is left behind even on a crash) read by ranges like any .npy.
 */
export interface NpzOptions extends NpyOptions {
  /** The member to read, with or without `.npy`; by default the archive's only member. */
  member?: string;
  /** Absolute cap on a member's decompressed size (zip-bomb defence). Default 64 GiB. */
  maxInflatedBytes?: number;
  /** Deflated members up to this size are decompressed into memory. Default 64 MiB. */
  inMemoryLimit?: number;
  /** Where large deflated members are decompressed. Default: the OS temp directory. */
  tempDir?: string;
  /** The archive's name in messages (default: the path). */
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

/** Member names (without `.npy`) of the archive at `path`. */
export async function listNpz(path: string): Promise<string[]> {
  const bytes = await fileBytes(path);
  try {
    return (await readZipDirectory(bytes)).map(shortName);
  } finally {
    await bytes.close();
  }
}

export async function openNpz(path: string, options: NpzOptions = {}): Promise<NpySource> {
  return npzFromBytes(await fileBytes(path, options.name ?? path), options);
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
  return npyFromBytes(await inflateToTempFile(range, entry, options.tempDir ?? tmpdir()), options);
}

/** A source of `size` bytes of which only `head` is known: enough for header parsing and size checks. */
function prefixOnly(head: Uint8Array, size: number, name: string): ByteSource {
  const inner = memoryBytes(head, name);
  return { ...inner, size };
}

async function inflateToTempFile(range: DeflatedRange, entry: ZipEntry, dir: string): Promise<ByteSource> {
  const tmp = await mkdtemp(join(dir, 'ftcal-npz-'));
  const path = join(tmp, 'member.npy');
  const handle = await open(path, 'w+');
  // Unlinked while open: the data lives until the handle closes, and a crash leaves nothing behind.
  let unlinked = true;
  try {
    await unlink(path);
    await rmdir(tmp);
  } catch {
    unlinked = false;
  }
  const cleanup = async () => {
    if (!unlinked) {
      await unlink(path).catch(() => {});
      await rmdir(tmp).catch(() => {});
    }
  };
  try {
    let at = 0;
    await inflateExact(range, entry.size, entry.crc32, async (piece) => {
      let done = 0;
      while (done < piece.length) {
        const { bytesWritten } = await handle.write(piece, done, piece.length - done, at + done);
        done += bytesWritten;
      }
      at += piece.length;
    });
  } catch (err) {
    await handle.close();
    await cleanup();
    throw err;
  }
  return handleBytes(handle, entry.size, range.name, cleanup);
}
