import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The libraries ftcal's CPU matmul could have been built on, as bench peers: XNNPACK through
 * @tensorflow/tfjs-backend-wasm, onnxruntime-web (MLAS compiled to WebAssembly) and onnxruntime-node
 * (native MLAS). They are not dependencies (onnxruntime-node alone is 113 MB, and its install script
 * fetches CUDA libraries from outside the npm registry): install them with plain npm into a folder of your
 * own and name its node_modules in FTCAL_BENCH_PEERS, e.g.
 *   npm i --prefix /tmp/peers --ignore-scripts @tensorflow/tfjs-core@4.22.0 \
 *     @tensorflow/tfjs-backend-wasm@4.22.0 onnxruntime-web@1.30.0 onnxruntime-node@1.30.0
 *   FTCAL_BENCH_PEERS=/tmp/peers/node_modules pnpm bench --only cpu-matmul
 */
export interface CpuMatmulPeer {
  impl: string;
  name: string;
  version: string;
  /** How it ran: threads, backend. */
  note: string;
  matmul(
    a: Float32Array,
    b: Float32Array,
    m: number,
    n: number,
    k: number,
    options: { transB: boolean; bias?: Float32Array },
  ): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface MissingPeer {
  impl: string;
  name: string;
  reason: string;
}

const PEERS = [
  { impl: 'tfjs-wasm', name: 'tfjs-backend-wasm (XNNPACK)', open: openTfjsWasm },
  { impl: 'ort-web', name: 'onnxruntime-web (MLAS, WebAssembly)', open: openOrt('onnxruntime-web') },
  { impl: 'ort-node', name: 'onnxruntime-node (MLAS, native)', open: openOrt('onnxruntime-node') },
] as const;

type Loader = (id: string) => Promise<{ module: Record<string, unknown>; version: string }>;

/** Every candidate, opened from `dir` (a node_modules folder), or why not. */
export async function openCpuMatmulPeers(
  dir: string | undefined,
  threads: number,
): Promise<(CpuMatmulPeer | MissingPeer)[]> {
  if (!dir) {
    const reason = 'not installed: see packages/bench/src/peers/cpu-libraries.ts (FTCAL_BENCH_PEERS)';
    return PEERS.map(({ impl, name }) => ({ impl, name, reason }));
  }
  const root = path.resolve(dir);
  const require = createRequire(path.join(root, '..', 'peers.cjs'));
  const load: Loader = async (id) => {
    const manifest = JSON.parse(await readFile(path.join(root, id, 'package.json'), 'utf8')) as {
      version: string;
    };
    return { module: await import(pathToFileURL(require.resolve(id)).href), version: manifest.version };
  };
  const out: (CpuMatmulPeer | MissingPeer)[] = [];
  for (const { impl, name, open } of PEERS) {
    try {
      out.push({ impl, name, ...(await open(load, threads)) });
    } catch (e) {
      out.push({ impl, name, reason: `could not load: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  return out;
}

interface Tensor {
  data(): Promise<Float32Array>;
  dispose(): void;
}
interface Tfjs {
  version_core: string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  tidy(fn: () => Tensor): Tensor;
  tensor2d(values: Float32Array, shape: [number, number]): Tensor;
  tensor1d(values: Float32Array): Tensor;
  matMul(a: Tensor, b: Tensor, transposeA: boolean, transposeB: boolean): Tensor;
  add(a: Tensor, b: Tensor): Tensor;
  env(): { getAsync(flag: string): Promise<boolean> };
}

async function openTfjsWasm(load: Loader, threads: number) {
  const core = await load('@tensorflow/tfjs-core');
  const wasm = await load('@tensorflow/tfjs-backend-wasm');
  const tf = core.module as unknown as Tfjs;
  (wasm.module.setThreadsCount as (n: number) => void)(threads);
  if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
  await tf.ready();
  const multi = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const peer: Omit<CpuMatmulPeer, 'impl' | 'name'> = {
    version: wasm.version,
    note: `same process, tfjs-core ${core.version}, ${multi ? `${threads} threads` : 'one thread (no multithreaded build in Node)'}`,
    async matmul(a, b, m, n, k, { transB, bias }) {
      const c = tf.tidy(() => {
        const product = tf.matMul(
          tf.tensor2d(a, [m, k]),
          tf.tensor2d(b, transB ? [n, k] : [k, n]),
          false,
          transB,
        );
        return bias ? tf.add(product, tf.tensor1d(bias)) : product;
      });
      try {
        return await c.data();
      } finally {
        c.dispose();
      }
    },
    close: async () => {},
  };
  return peer;
}

interface OrtTensor {
  data: Float32Array;
}
interface Ort {
  env: { wasm?: { numThreads: number } };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => OrtTensor;
  InferenceSession: {
    create(
      model: Uint8Array,
      options: object,
    ): Promise<{
      run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
      release(): Promise<void>;
    }>;
  };
}

/** One ONNX Gemm per shape: Y = A·op(B) + C, which is what an ONNX user of a linear head runs. */
function openOrt(id: 'onnxruntime-web' | 'onnxruntime-node') {
  return async (load: Loader, threads: number) => {
    const { module, version } = await load(id);
    const ort = ((module as { default?: Ort }).default ?? module) as unknown as Ort;
    if (ort.env.wasm) ort.env.wasm.numThreads = threads;
    const sessions = new Map<string, Awaited<ReturnType<Ort['InferenceSession']['create']>>>();
    const peer: Omit<CpuMatmulPeer, 'impl' | 'name'> = {
      version,
      note: `same process, ${id === 'onnxruntime-node' ? 'CPU execution provider' : 'wasm execution provider'}, ${threads} threads`,
      async matmul(a, b, m, n, k, { transB, bias }) {
        const key = `${m},${n},${k},${transB},${bias !== undefined}`;
        let session = sessions.get(key);
        if (!session) {
          session = await ort.InferenceSession.create(gemmModel(m, n, k, transB, bias !== undefined), {
            executionProviders: [id === 'onnxruntime-node' ? 'cpu' : 'wasm'],
            intraOpNumThreads: threads,
          });
          sessions.set(key, session);
        }
        const feeds: Record<string, OrtTensor> = {
          A: new ort.Tensor('float32', a, [m, k]),
          B: new ort.Tensor('float32', b, transB ? [n, k] : [k, n]),
        };
        if (bias) feeds.C = new ort.Tensor('float32', bias, [n]);
        return (await session.run(feeds)).Y!.data;
      },
      async close() {
        for (const s of sessions.values()) await s.release();
      },
    };
    return peer;
  };
}

/** A one-node ONNX model (opset 13): Gemm(A, B[, C]) with transB, written as protobuf by hand. */
function gemmModel(m: number, n: number, k: number, transB: boolean, bias: boolean): Uint8Array {
  const varint = (v: number): number[] => {
    const o: number[] = [];
    while (v > 127) {
      o.push((v & 127) | 128);
      v = Math.floor(v / 128);
    }
    o.push(v);
    return o;
  };
  const field = (no: number, wire: number, payload: number[]) => [...varint(no * 8 + wire), ...payload];
  const bytes = (no: number, b: number[]) => field(no, 2, [...varint(b.length), ...b]);
  const str = (no: number, s: string) => bytes(no, [...new TextEncoder().encode(s)]);
  const int = (no: number, v: number) => field(no, 0, varint(v));
  // ValueInfoProto: name, TypeProto { tensor_type { elem_type FLOAT, shape { dim { dim_value } … } } }.
  const value = (name: string, dims: number[]) => [
    ...str(1, name),
    ...bytes(
      2,
      bytes(1, [
        ...int(1, 1),
        ...bytes(
          2,
          dims.flatMap((d) => bytes(1, int(1, d))),
        ),
      ]),
    ),
  ];
  const inputs = bias ? ['A', 'B', 'C'] : ['A', 'B'];
  const node = [
    ...inputs.flatMap((x) => str(1, x)),
    ...str(2, 'Y'),
    ...str(4, 'Gemm'),
    // AttributeProto transB: name, i, type INT (2).
    ...bytes(5, [...str(1, 'transB'), ...int(3, transB ? 1 : 0), ...int(20, 2)]),
  ];
  const graph = [
    ...bytes(1, node),
    ...str(2, 'gemm'),
    ...bytes(11, value('A', [m, k])),
    ...bytes(11, value('B', transB ? [n, k] : [k, n])),
    ...(bias ? bytes(11, value('C', [n])) : []),
    ...bytes(12, value('Y', [m, n])),
  ];
  // ModelProto: ir_version 8, graph, opset_import { domain "", version 13 }.
  return Uint8Array.from([...int(1, 8), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...int(2, 13)])]);
}
