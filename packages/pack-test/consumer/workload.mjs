// What a library user does with @ftcal/core, written once for both platforms: run.mjs calls it in Node
// with paths, page.mjs in Chromium with Files. It evaluates examples/toy, calibrates it (alg from the
// fitting set, oracle, hmean, constrained), round-trips the calibrator through JSON and applies it, and
// returns what the test compares across backends and platforms.

/**
 * @param {typeof import('@ftcal/core')} core
 * @param {import('@ftcal/core').Backend} backend
 * @param {Record<'logits' | 'labels' | 'groups' | 'fitLogits' | 'fitLabels', import('@ftcal/core').ByteInput>} files
 */
export async function workload(core, backend, files) {
  const { Calibrator, calibrate, evaluate, makeGroups, openArray, readGroupsFile, readLabels } = core;
  const logits = await openArray(files.logits); // read by row ranges, never slurped
  const fitLogits = await openArray(files.fitLogits);
  try {
    const labels = await readLabels(files.labels);
    const lists = await readGroupsFile(files.groups, { numClasses: logits.cols });
    const groups = makeGroups(logits.cols, lists.seen, lists.absent ?? undefined);
    const evaluation = await evaluate(backend, { logits, labels, groups });
    const result = await calibrate(backend, {
      logits,
      labels,
      groups,
      train: { logits: fitLogits, labels: await readLabels(files.fitLabels) },
      methods: ['alg', 'oracle', 'hmean', 'constrained'],
      select: 'oracle',
    });
    const calibrator = Calibrator.fromJSON(JSON.stringify(result.calibrator));
    const rows = Math.min(4, logits.rows);
    const applied = calibrator.logits(await logits.readRows(0, rows), rows, logits.cols);
    return {
      backend: backend.name,
      evaluate: { rows: evaluation.data.rows, table: evaluation.table },
      calibrate: {
        method: result.method,
        gamma: result.gamma,
        temperature: result.temperature,
        before: result.before,
        after: result.after,
        methods: result.methods.map(({ method, gamma, temperature, table }) => ({
          method,
          gamma,
          temperature,
          table,
        })),
      },
      // The data's hashes, not its names: a path here, a File's name in the browser.
      fingerprints: calibrator.fingerprints.map(({ source: _, ...hash }) => hash),
      applied: Array.from(applied),
    };
  } finally {
    await logits.close();
    await fitLogits.close();
  }
}

/**
 * One consumer run: `mode` 'cpu' or 'gpu' goes to selectBackend by name; 'device' runs on the GPUDevice
 * `makeDevice(requiredLimits)` makes, which the caller owns: after dispose() it must still run work.
 */
export async function runConsumer(core, mode, files, makeDevice, log) {
  const device = mode === 'device' ? await makeDevice(core.KERNEL_LIMITS) : undefined;
  const backend = await core.selectBackend(device ?? mode, log);
  let result;
  try {
    result = await workload(core, backend, files);
  } finally {
    backend.dispose();
  }
  if (device) {
    let lost = false;
    device.lost.then(() => {
      lost = true;
    });
    const buffer = device.createBuffer({ size: 4, usage: 0x8 /* COPY_DST */ });
    device.queue.writeBuffer(buffer, 0, new Uint8Array(4));
    await device.queue.onSubmittedWorkDone();
    buffer.destroy();
    result.deviceAliveAfterDispose = !lost;
    device.destroy();
  }
  return result;
}

/** The toy files the workload reads, by the names examples/toy gives them. */
export const TOY_FILES = {
  logits: 'logits.npy',
  labels: 'labels.npy',
  groups: 'groups.json',
  fitLogits: 'fit-logits.npy',
  fitLabels: 'fit-labels.npy',
};

/**
 * The CPU backend's matmul on seeded inputs (several summation blocks of K, tile edges, Bᵀ and a bias):
 * large enough for Node's worker threads, on the calling thread in a browser; the same bits on both.
 * @param {typeof import('@ftcal/core')} core
 */
export async function cpuMatmul(core) {
  let x = 1;
  const seeded = (n) =>
    Float32Array.from({ length: n }, () => (x = (x * 48271) % 2147483647) / 2147483647 - 0.5);
  const [m, n, k] = [601, 29, 300];
  const backend = new core.CpuBackend();
  try {
    const c = await backend.matmul(seeded(m * k), seeded(n * k), m, n, k, { transB: true, bias: seeded(n) });
    return Array.from(c);
  } finally {
    backend.dispose();
  }
}
