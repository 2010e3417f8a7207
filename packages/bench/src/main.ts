import { type Backend, CpuBackend, type DevicePreference, selectBackend } from '@ftcal/core';

/** Median wall time of `reps` runs after one warm-up, in milliseconds. */
async function time(
  reps: number,
  run: () => Promise<unknown>,
): Promise<{ median: number; min: number; max: number }> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, min: times[0]!, max: times.at(-1)! };
}

async function softmaxRow(backend: Backend, rows: number, cols: number, reps: number) {
  const z = new Float32Array(rows * cols);
  for (let i = 0; i < z.length; i++) z[i] = Math.sin(i * 12.9898) * 4;
  const t = await time(reps, () => backend.softmax(z, rows, cols, { gamma: 1 }));
  const gb = (rows * cols * 8) / 1e9;
  return { backend: backend.name, rows, cols, ms: t, gbPerS: gb / (t.median / 1e3) };
}

const device = (
  process.argv.includes('--device') ? process.argv[process.argv.indexOf('--device') + 1] : 'gpu'
) as DevicePreference;
const gpu = await selectBackend(device, (l) => process.stderr.write(`${l}\n`));
const cpu = new CpuBackend();
try {
  for (const [rows, cols] of [
    [10_000, 100],
    [10_000, 1000],
  ] as const) {
    for (const b of gpu.kind === 'cpu' ? [cpu] : [gpu, cpu]) {
      const r = await softmaxRow(b, rows, cols, 5);
      console.log(
        `softmax ${rows}×${cols} ${r.backend}: ${r.ms.median.toFixed(2)} ms (${r.gbPerS.toFixed(2)} GB/s host round trip)`,
      );
    }
  }
} finally {
  gpu.dispose();
}
