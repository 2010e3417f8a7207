import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { openAtomicWriter } from './node/atomic.ts';
import { createGpu } from './node/dawn.ts';
import { fileBytes, isFile, listDirectory, scratchFile } from './node/files.ts';
import { WorkerPool } from './node/worker-pool.ts';
import type { Platform } from './platform.ts';

/** Node: files by path through handles, worker threads, Dawn for WebGPU (the `webgpu` package). */
export const platform: Platform = {
  name: 'node',
  openFile: fileBytes,
  isFile,
  openAtomicWriter,
  joinPath: join,
  resolvePath: resolve,
  dirName: dirname,
  listDirectory,
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
  gpu: createGpu,
  noAdapter(backend, featureLevel) {
    if (backend === 'opengles') {
      return 'no OpenGL ES adapter (install Mesa and EGL: mesa-vulkan-drivers libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri libegl-dev)';
    }
    if (backend === 'swiftshader') return `SwiftShader's Vulkan driver gave no ${featureLevel}-level adapter`;
    return `no ${featureLevel}-level ${backend === 'default' ? 'Vulkan' : backend} adapter (no GPU driver found)`;
  },
  adapterRoutes: [
    { backend: 'default', featureLevel: 'core', label: 'hardware adapter (Dawn default backend)' },
    { backend: 'opengles', featureLevel: 'compatibility', label: 'OpenGL ES compatibility adapter' },
    { backend: 'swiftshader', featureLevel: 'core', label: 'SwiftShader (Dawn Vulkan backend)' },
  ],
  defaultGraphicsApi: process.platform === 'linux' ? 'vulkan' : 'unknown',
};
