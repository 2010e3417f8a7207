import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { InputError } from '../errors.ts';

/**
 * A kernel the pool can run: a self-contained plain function declaration (see row-kernels.ts) that works
 * on rows [r0, r1) of a job whose arrays live on SharedArrayBuffers.
 */
// biome-ignore lint/suspicious/noExplicitAny: kernels take different argument records
export type RowKernel = (args: any, r0: number, r1: number) => void;

const MAX_THREADS = 256;

/**
 * Worker threads for the CPU backend: FTCAL_CPU_THREADS when set (1 keeps all work on the calling thread),
 * else min(os.availableParallelism(), 8).
 */
export function cpuThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FTCAL_CPU_THREADS;
  if (raw === undefined || raw.trim() === '') return Math.min(availableParallelism(), 8);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new InputError(
      `FTCAL_CPU_THREADS: '${raw}' is not a whole number from 1 to ${MAX_THREADS}; set it to the number of CPU threads to use (1 runs everything on the calling thread) or unset it`,
    );
  }
  return n;
}

/**
 * The worker's whole program. Kernels travel as the JavaScript text the runtime holds for them, which is
 * already transpiled whether the code was bundled (esbuild) or loaded by vitest (vite), because Node 20
 * cannot start a worker from a .ts file.
 */
export function workerSource(kernels: Readonly<Record<string, RowKernel>>): string {
  const entries = Object.entries(kernels).map(([name, fn]) => {
    const text = fn.toString();
    if (!/^function\s/.test(text)) {
      throw new Error(`cpu pool: kernel ${name} is not a plain function declaration: ${text.slice(0, 60)}`);
    }
    return `  ${JSON.stringify(name)}: (${text}),`;
  });
  return [
    `'use strict';`,
    `const { parentPort } = require('node:worker_threads');`,
    // esbuild's keepNames wraps functions in __name(fn, 'name'); a kernel body must not fail on it.
    'var __name = (target) => target;',
    `const kernels = {\n${entries.join('\n')}\n};`,
    'parentPort.on("message", (m) => {',
    '  try {',
    '    kernels[m.kernel](m.args, m.r0, m.r1);',
    '    parentPort.postMessage({ id: m.id, ok: true });',
    '  } catch (e) {',
    '    parentPort.postMessage({ id: m.id, ok: false, error: String((e && e.stack) || e) });',
    '  }',
    '});',
  ].join('\n');
}

interface Task {
  id: number;
  kernel: string;
  args: unknown;
  r0: number;
  r1: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
}

/**
 * A fixed set of worker threads started on first use and kept for later jobs. A worker is ref'd only while
 * it runs a task, so an idle pool never keeps the process alive; `close()` terminates the workers, and a
 * later job starts fresh ones. A worker that dies fails every pending task and the pool's later jobs
 * (callers fall back to the calling thread); a kernel that throws fails only its own job.
 */
export class WorkerPool {
  readonly size: number;
  private readonly source: string;
  private slots: Slot[] = [];
  private queue: Task[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  /** Tasks the workers have finished since the pool was made; tests use it to see the pool really ran. */
  tasksDone = 0;

  constructor(kernels: Readonly<Record<string, RowKernel>>, size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`cpu pool: size must be ≥ 1, got ${size}`);
    this.size = size;
    this.source = workerSource(kernels);
  }

  get started(): boolean {
    return this.slots.length > 0;
  }

  /** Runs `kernel` on every range, on whichever worker is free; resolves when all are done. */
  run(kernel: string, args: unknown, ranges: readonly (readonly [number, number])[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.started) this.start();
    const tasks = ranges.map(
      ([r0, r1]) =>
        new Promise<void>((resolve, reject) => {
          this.queue.push({ id: this.nextId++, kernel, args, r0, r1, resolve, reject });
        }),
    );
    this.pump();
    return Promise.all(tasks).then(() => {});
  }

  close(): void {
    const slots = this.slots;
    this.slots = [];
    this.abandon(slots, new Error('cpu pool: closed while a job was running'));
    for (const s of slots) void s.worker.terminate();
  }

  private start(): void {
    for (let i = 0; i < this.size; i++) {
      const slot: Slot = { worker: new Worker(this.source, { eval: true }), task: null };
      slot.worker.unref();
      slot.worker.on('message', (reply: Reply) => this.finish(slot, reply));
      slot.worker.on('error', (e: Error) => this.fail(new Error(`cpu pool: a worker failed: ${e.message}`)));
      slot.worker.on('exit', (code: number) => {
        // Workers only exit on close() (then they are no longer in `slots`) or when something killed them.
        if (this.slots.includes(slot)) this.fail(new Error(`cpu pool: a worker exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.task) continue;
      const task = this.queue.shift();
      if (!task) {
        slot.worker.unref();
        continue;
      }
      slot.task = task;
      slot.worker.ref();
      const { id, kernel, args, r0, r1 } = task;
      slot.worker.postMessage({ id, kernel, args, r0, r1 });
    }
  }

  private finish(slot: Slot, reply: Reply): void {
    const task = slot.task;
    if (!task || task.id !== reply.id) return;
    slot.task = null;
    this.tasksDone++;
    if (reply.ok) task.resolve();
    else task.reject(new Error(`cpu pool: kernel ${task.kernel} failed: ${reply.error}`));
    this.pump();
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    this.close();
  }

  private abandon(slots: readonly Slot[], e: Error): void {
    const pending = [...slots.map((s) => s.task).filter((t): t is Task => t !== null), ...this.queue];
    this.queue = [];
    for (const s of slots) s.task = null;
    for (const t of pending) t.reject(this.failure ?? e);
  }
}
