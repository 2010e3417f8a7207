import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { InputError } from '../errors.ts';
import type { Platform } from './platform.ts';

/**
 * A browser (or any runtime with web APIs only): inputs come as Blobs, Files or bytes, the CPU backend
 * runs on the calling thread, WebGPU is navigator.gpu. Nothing here may import a node: built-in; the
 * build bundles this file for the "browser" condition and fails if anything does.
 */

const noPaths = (file: string, problem: string, fix: string) =>
  Promise.reject(new InputError({ code: 'file-access', file, problem, fix }));

const BLOB_FIX =
  'pass the file as a Blob or File (from <input type="file">, drag and drop or fetch), or its bytes as a Uint8Array or ArrayBuffer';

/** zlib's CRC-32 table (reflected polynomial 0xEDB88320). */
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

interface WebNavigator {
  gpu?: GPU;
  hardwareConcurrency?: number;
}
const webNavigator = (): WebNavigator | undefined => (globalThis as { navigator?: WebNavigator }).navigator;

export const platform: Platform = {
  name: 'browser',
  openFile: (_path, name) => noPaths(name, 'a path cannot be read in a browser (paths need Node)', BLOB_FIX),
  isFile: async () => false,
  openAtomicWriter: (path) =>
    noPaths(
      path,
      'a file cannot be written in a browser (paths need Node)',
      'keep the result in memory (a Blob of its bytes, say) and offer it as a download',
    ),
  joinPath: (dir, file) => `${dir.replace(/\/+$/, '')}/${file}`,
  resolvePath: (_from, path) => path,
  dirName: (path) => path.replace(/\/[^/]*$/, '') || '.',
  listDirectory: (path) =>
    noPaths(path, 'a directory cannot be listed in a browser (paths need Node)', BLOB_FIX),
  scratchFile: null,
  crc32(bytes, crc) {
    let c = ~crc;
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    return ~c >>> 0;
  },
  sha256() {
    const hash = sha256.create();
    return { update: (bytes) => void hash.update(bytes), digest: () => bytesToHex(hash.digest()) };
  },
  env: () => undefined,
  hardwareThreads: () => webNavigator()?.hardwareConcurrency ?? 1,
  startRowPool: null,
  warn: (line) => console.warn(line),
  async gpu(backend) {
    if (backend !== 'default') throw new Error(`Dawn's ${backend} backend exists only in Node`);
    const gpu = webNavigator()?.gpu;
    if (!gpu) {
      throw new Error(
        'this browser has no WebGPU (navigator.gpu is missing: it needs a WebGPU browser and a secure context, https or localhost)',
      );
    }
    return gpu;
  },
  noAdapter: (_backend, featureLevel) =>
    `navigator.gpu has no ${featureLevel}-level adapter (WebGPU may be turned off, or the GPU blocklisted)`,
  adapterRoutes: [
    { backend: 'default', featureLevel: 'core', label: 'navigator.gpu (core)' },
    { backend: 'default', featureLevel: 'compatibility', label: 'navigator.gpu (compatibility)' },
  ],
  defaultGraphicsApi: 'unknown',
};
