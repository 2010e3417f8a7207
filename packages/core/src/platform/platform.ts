import type { RowKernelName } from '../cpu/row-kernels.ts';
import type { AtomicWriter } from '../io/atomic.ts';
import type { ByteSource } from '../io/bytes.ts';

/**
 * Everything that differs between Node and a browser, in one place (DESIGN.md §2: one name set on both,
 * the Node-only parts behind the "node" condition). Core imports the platform as `#platform`, which
 * package.json's "imports" maps to `node.ts` under the "node" condition and to `browser.ts` otherwise;
 * the build bundles each entry with one of them, so a browser bundle never sees a node: built-in.
 */
export interface Platform {
  readonly name: 'node' | 'browser';

  /** A file opened for reading by byte ranges; in a browser, an InputError (paths are Node-only). */
  openFile(path: string, name: string): Promise<ByteSource>;
  /** Whether `path` names an existing regular file (false in a browser). */
  isFile(path: string): Promise<boolean>;
  /** A writer whose bytes appear at `path` whole, or not at all (io/atomic.ts). */
  openAtomicWriter(path: string): Promise<AtomicWriter>;
  joinPath(dir: string, file: string): string;
  /** `path` resolved against the directory `from` (Node's path.resolve); a browser returns `path`. */
  resolvePath(from: string, path: string): string;
  /** The directory part of a path ('.' for a bare name). */
  dirName(path: string): string;
  /** The entries of a directory, for glob patterns; in a browser, an InputError (paths are Node-only). */
  listDirectory(path: string): Promise<DirectoryEntry[]>;
  /** A scratch file that disappears when closed, for data too large for memory; null: none here. */
  readonly scratchFile: ((dir: string | undefined, name: string) => Promise<ScratchFile>) | null;

  /** CRC-32 (zlib's) of `bytes`, continuing from `crc`. */
  crc32(bytes: Uint8Array, crc: number): number;
  sha256(): Sha256;

  /** An environment variable (FTCAL_CPU_THREADS); a browser has none. */
  env(name: string): string | undefined;
  /** The cores available to this process. */
  hardwareThreads(): number;
  /** Worker threads for the CPU backend's row kernels; null where there are none (a browser). */
  readonly startRowPool: ((size: number) => RowPool) | null;
  /** Where a one-line notice goes when nobody asked for it elsewhere (Node's process warnings). */
  warn(line: string): void;

  /** The WebGPU entry point for one Dawn backend (Node) or navigator.gpu (browser); throws a reason. */
  gpu(backend: GpuBackendName): Promise<GPU>;
  /** Why `backend` returned no adapter at `featureLevel`, with what to install or check. */
  noAdapter(backend: GpuBackendName, featureLevel: 'core' | 'compatibility'): string;
  /**
   * Where adapters are looked for, in order: the first is the hardware route `device: 'auto'` takes;
   * `device: 'gpu'` tries the rest when it finds no adapter there, and `adapter` names pick among all.
   */
  readonly adapterRoutes: readonly AdapterRoute[];
  /** The graphics API an adapter probably runs on when its description does not say. */
  readonly defaultGraphicsApi: 'vulkan' | 'unknown';
}

/**
 * Where a WebGPU adapter is requested. In Node these are Dawn's backends: its default (Vulkan, Metal or
 * D3D12), Vulkan, OpenGL ES (EGL surfaceless: Mesa's llvmpipe on a machine without a GPU), and
 * 'swiftshader', Dawn's Vulkan backend on SwiftShader's Vulkan driver (the CPU one Chromium ships).
 * In a browser only 'default' exists: navigator.gpu.
 */
export type GpuBackendName = 'default' | 'vulkan' | 'opengles' | 'swiftshader';

/** One place to look for an adapter: a backend at a feature level, and what to call it in messages. */
export interface AdapterRoute {
  backend: GpuBackendName;
  featureLevel: 'core' | 'compatibility';
  label: string;
}

export interface DirectoryEntry {
  name: string;
  directory: boolean;
}

export interface ScratchFile {
  /** Writes `piece` at byte `at`. */
  write(piece: Uint8Array, at: number): Promise<void>;
  /** The bytes written, as a source that owns (and on close removes) the file. */
  finish(size: number, name: string): ByteSource;
  abort(): Promise<void>;
}

export interface Sha256 {
  update(bytes: Uint8Array): void;
  /** Lower-case hex. */
  digest(): string;
}

/** A fixed set of worker threads running core's row kernels (cpu/row-kernels.ts) on shared memory. */
export interface RowPool {
  readonly size: number;
  /** Row ranges the workers have finished since the pool was made. */
  readonly tasksDone: number;
  /** Runs `kernel` on every range, on whichever worker is free; resolves when all are done. */
  run(kernel: RowKernelName, args: unknown, ranges: readonly (readonly [number, number])[]): Promise<void>;
  /** Stops the workers; pending jobs fail. */
  close(): void;
}
