import { createRequire } from 'node:module';
import { createGpu, type FoundAdapter } from '@ftcal/core';

type Tf = typeof import('@tensorflow/tfjs-core');

/** TensorFlow.js's WebGPU backend on the same Dawn adapter ftcal runs on (a device of its own). */
export interface TfjsPeer {
  readonly version: string;
  /** The adapter tfjs got, as Dawn describes it. */
  readonly adapter: string;
  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options: { batch?: number; transB?: boolean; bias?: Float32Array },
  ): Promise<Float32Array>;
  /** softmax((z + γ·[c∈U]) / T) per row, as ftcal's softmax computes it. */
  softmax(
    z: Float32Array,
    rows: number,
    cols: number,
    options: { gamma: number; temperature: number; groups: Uint32Array },
  ): Promise<Float32Array>;
  dispose(): void;
}

/**
 * The packages are imported by a name esbuild cannot see, so they stay out of dist/bench.mjs and load
 * from packages/bench/node_modules; when they are not installed the peer is reported as missing.
 */
async function importByName<T>(name: string): Promise<T> {
  return (await import(name)) as T;
}

/**
 * tfjs looks for `navigator.gpu` (browsers only), asks for an adapter without a feature level and
 * would get none from Dawn's OpenGL ES backend, so the GPU is wrapped to ask at ftcal's level.
 */
export async function openTfjs(found: FoundAdapter): Promise<TfjsPeer | string> {
  const adapter = found.report;
  const gpu = await createGpu(found.backend);
  let gotAdapter = '';
  const wrapped = {
    async requestAdapter(options: GPURequestAdapterOptions = {}) {
      const a = await gpu.requestAdapter({ ...options, featureLevel: adapter.featureLevel });
      if (a) {
        const info = a.info;
        gotAdapter = [info.device, info.description].filter(Boolean).join(', ') || info.vendor;
      }
      return a;
    },
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: gpu.wgslLanguageFeatures,
  };
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', {
    value: { gpu: wrapped, userAgent: `Node.js ${process.version}` },
    configurable: true,
    writable: true,
  });
  let tf: Tf;
  try {
    tf = await importByName<Tf>('@tensorflow/tfjs-core');
    await importByName('@tensorflow/tfjs-backend-webgpu');
  } catch (e) {
    restore(previous);
    return `tfjs is not installed (${(e as Error).message.split('\n')[0]}); run pnpm install`;
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend('webgpu');
    await tf.ready();
  } catch (e) {
    restore(previous);
    return `tfjs-backend-webgpu did not start under Node: ${(e as Error).message.split('\n')[0]}`;
  }
  if (!ok || tf.getBackend() !== 'webgpu') {
    restore(previous);
    return 'tfjs-backend-webgpu did not register under Node (setBackend returned false)';
  }
  const version = packageVersion('@tensorflow/tfjs-backend-webgpu') ?? tf.version_core;
  return {
    version,
    adapter: gotAdapter || 'unknown adapter',
    async matmul(a, b, m, n, k, options) {
      const batch = options.batch ?? 1;
      const out = tf.tidy(() => {
        const ta = batch > 1 ? tf.tensor3d(a, [batch, m, k]) : tf.tensor2d(a, [m, k]);
        const tb = options.transB
          ? batch > 1 && b.length === batch * n * k
            ? tf.tensor3d(b, [batch, n, k])
            : tf.tensor2d(b, [n, k])
          : batch > 1 && b.length === batch * k * n
            ? tf.tensor3d(b, [batch, k, n])
            : tf.tensor2d(b, [k, n]);
        const c = tf.matMul(ta, tb, false, options.transB ?? false);
        return options.bias ? tf.add(c, tf.tensor1d(options.bias)) : c;
      });
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
    async softmax(z, rows, cols, options) {
      const absent = new Float32Array(cols);
      for (let c = 0; c < cols; c++) absent[c] = options.groups[c] === 1 ? options.gamma : 0;
      const out = tf.tidy(() =>
        tf.softmax(tf.div(tf.add(tf.tensor2d(z, [rows, cols]), tf.tensor1d(absent)), options.temperature)),
      );
      const data = (await out.data()) as Float32Array;
      out.dispose();
      return data;
    },
    dispose() {
      // A live GPUDevice keeps Node's event loop alive; tfjs's reset() leaves its device open.
      (tf.backend() as unknown as { device?: GPUDevice }).device?.destroy();
      tf.engine().reset();
      restore(previous);
    },
  };
}

function restore(previous: PropertyDescriptor | undefined): void {
  if (previous) Object.defineProperty(globalThis, 'navigator', previous);
  else delete (globalThis as { navigator?: unknown }).navigator;
}

function packageVersion(name: string): string | null {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}
