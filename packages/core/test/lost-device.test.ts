import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.ts';
import { CpuBackend } from '../src/backend/cpu.ts';
import type { WebGpuBackend } from '../src/backend/webgpu.ts';
import { type Calibration, calibrate } from '../src/calib/evaluate.ts';
import { makeGroups } from '../src/calib/groups.ts';
import { selectBackend } from '../src/device/select.ts';
import { NoAdapterError } from '../src/errors.ts';
import { openArray, readLabels } from '../src/io/open.ts';
import type { TensorSource } from '../src/io/tensor-source.ts';

const TOY = fileURLToPath(new URL('../../../examples/toy/', import.meta.url));
const groups = makeGroups(10, [0, 1, 2, 3, 4]);

/**
 * DESIGN.md §4, "a lost GPU device retries on the CPU path", through the public API: a backend from
 * selectBackend('gpu') loses its device in the middle of a calibration, and the run finishes on the CPU
 * with the CPU's answer. The loss is injected at a chosen Backend operation of the run (every kind of
 * operation the run uses, first and last), either just before it starts or while it is in flight, so
 * both a loss seen between operations and one that aborts a read-back are covered, deterministically.
 */
describe('a GPU device lost mid-run', () => {
  let logits: TensorSource;
  let labels: Int32Array;
  let cpu: Calibration;
  const calls: string[] = [];

  /** `backend` with its device destroyed at call number `at` (0-based), before it or while it runs. */
  function losingAt(backend: Backend, at: number, when: 'before' | 'during'): Backend {
    let n = 0;
    const lose = () => (backend as WebGpuBackend).ctx.device.destroy();
    return new Proxy(backend, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== 'function' || prop === 'dispose') return value;
        return (...args: unknown[]) => {
          calls.push(String(prop));
          const mine = n++ === at;
          if (mine && when === 'before') lose();
          const running = value.apply(target, args);
          if (mine && when === 'during') queueMicrotask(lose);
          return running;
        };
      },
    });
  }

  async function gpuBackend(lines: string[]): Promise<Backend | null> {
    try {
      return await selectBackend('gpu', { log: (l) => lines.push(l) });
    } catch (e) {
      if (e instanceof NoAdapterError && process.env.FTCAL_REQUIRE_GPU !== '1') return null;
      throw e;
    }
  }

  // The γ family's passes and one fitted linear method (its whole fit is one withLinearData op); every
  // loss point runs a whole calibration, so no more methods.
  const run = (backend: Backend) =>
    calibrate(backend, { logits, labels, groups, chunkRows: 250, methods: ['oracle', 'nll', 'vector'] });

  beforeAll(async () => {
    logits = await openArray(`${TOY}logits.npy`);
    labels = await readLabels(`${TOY}labels.npy`);
    cpu = await run(new CpuBackend());
  });
  afterAll(() => logits.close());

  /** The operations of one whole run on the GPU, in order (the loss points are picked from them). */
  async function operations(): Promise<string[] | null> {
    const backend = await gpuBackend([]);
    if (!backend) return null;
    calls.length = 0;
    await run(losingAt(backend, -1, 'before'));
    backend.dispose();
    return [...calls];
  }

  it('continues on the CPU and gives the CPU’s calibration, wherever in the run the device is lost', async (ctx) => {
    const ops = await operations();
    if (!ops) return ctx.skip();
    const points = new Set<number>();
    for (const name of new Set(ops)) points.add(ops.indexOf(name)).add(ops.lastIndexOf(name));
    expect(points.size).toBeGreaterThanOrEqual(4);
    expect(ops).toContain('withLinearData');
    for (const at of [...points].sort((a, b) => a - b)) {
      for (const when of ['before', 'during'] as const) {
        const lines: string[] = [];
        const backend = (await gpuBackend(lines))!;
        const where = `device lost ${when} operation ${at} (${ops[at]})`;
        const got = await run(losingAt(backend, at, when));
        expect(lines.at(-1), where).toMatch(/the GPU device was lost .*; continuing on the CPU backend$/);
        expect(backend.kind, where).toBe('cpu');
        expect(got.method, where).toBe(cpu.method);
        expect(Math.abs(got.gamma - cpu.gamma), where).toBeLessThanOrEqual(
          1e-4 * Math.max(1, Math.abs(cpu.gamma)),
        );
        expect(Math.abs(got.temperature - cpu.temperature), where).toBeLessThanOrEqual(
          1e-4 * cpu.temperature,
        );
        for (const k of ['Y/Y', 'S/Y', 'U/Y'] as const) {
          expect(Math.abs(got.after[k] - cpu.after[k]), `${where}: ${k}`).toBeLessThanOrEqual(0.2);
        }
        backend.dispose();
      }
    }
  });
});
