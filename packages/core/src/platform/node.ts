import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { openAtomicWriter } from './node/atomic.ts';
import { createGpu } from './node/dawn.ts';
import { fileBytes, isFile, scratchFile } from './node/files.ts';
import { WorkerPool } from './node/worker-pool.ts';
import type { Platform } from './platform.ts';

/** Node: files by path through handles, worker threads, Dawn for WebGPU (the `webgpu` package). */
export const platform: Platform = {
  name: 'node',
  openFile: fileBytes,
  isFile,
  openAtomicWriter,
  joinPath: join,
  scratchFile,
  crc32: (bytes, crc) => crc32(bytes, crc),
  sha256() {
    const hash = createHash('sha256');
    return { update: (bytes) => void hash.update(bytes), digest: () => hash.digest('hex') };
  },
  env: (name) => process.env[name],
  hardwareThreads: availableParallelism,
  startRowPool: (size) => new WorkerPool(size),
  warn: (line) => process.emitWarning(line),
  async gpu(backend) {
    try {
      return await createGpu(backend);
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
        throw new Error('Dawn for Node is not installed (npm install webgpu@^0.6.2 beside @ftcal/core)');
      }
      throw new Error(`Dawn for Node could not load: ${e instanceof Error ? e.message : String(e)}`);
    }
  },
  noAdapter: (backend, featureLevel) =>
    backend === 'opengles'
      ? 'no OpenGL ES adapter (install Mesa and EGL: mesa-vulkan-drivers libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri libegl-dev)'
      : `no ${featureLevel}-level ${backend === 'default' ? 'Vulkan' : backend} adapter (no GPU driver found)`,
  fallbackRoute: {
    backend: 'opengles',
    featureLevel: 'compatibility',
    label: 'OpenGL ES compatibility adapter',
  },
  defaultGraphicsApi: process.platform === 'linux' ? 'vulkan' : 'unknown',
};
