import { Worker } from 'node:worker_threads';
import type { RowKernelName } from '../../cpu/row-kernels.ts';
import type { RowPool } from '../platform.ts';

/** One row range of a job, as posted to a worker (cpu-worker.ts). */
export interface TaskMessage {
  id: number;
  kernel: RowKernelName;
  args: unknown;
  r0: number;
  r1: number;
}

export interface TaskReply {
  id: number;
  ok: boolean;
  error?: string;
}

/**
 * The worker program, built from cpu-worker.ts as `cpu-worker.js` beside the bundle that holds this code:
 * core's dist/node.js, or an application bundle that ships it beside itself (tools/esbuild.mjs copies it
 * next to the CLI's and the bench's). Run from source (vitest), it is core's dist/cpu-worker.js, which
 * core's vitest setup builds from the current source first.
 */
export const CPU_WORKER_URL = new URL(
  import.meta.url.endsWith('.ts') ? '../../../dist/cpu-worker.js' : './cpu-worker.js',
  import.meta.url,
);

interface Task extends TaskMessage {
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  task: Task | null;
}

/**
 * A fixed set of worker threads started on first use and kept for later jobs. A worker is ref'd only while
 * it runs a task, so an idle pool never keeps the process alive; `close()` terminates the workers, and a
 * later job starts fresh ones. A worker that dies fails every pending task and the pool's later jobs
 * (callers fall back to the calling thread); a kernel that throws fails only its own job.
 */
export class WorkerPool implements RowPool {
  readonly size: number;
  private readonly program: URL;
  private slots: Slot[] = [];
  private queue: Task[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  /** Tasks the workers have finished since the pool was made; tests use it to see the pool really ran. */
  tasksDone = 0;

  /** `program` is the worker module (tests give one of their own); it speaks TaskMessage / TaskReply. */
  constructor(size: number, program: URL = CPU_WORKER_URL) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`cpu pool: size must be ≥ 1, got ${size}`);
    this.size = size;
    this.program = program;
  }

  get started(): boolean {
    return this.slots.length > 0;
  }

  /** Runs `kernel` on every range, on whichever worker is free; resolves when all are done. */
  run(kernel: RowKernelName, args: unknown, ranges: readonly (readonly [number, number])[]): Promise<void> {
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
      const slot: Slot = { worker: new Worker(this.program), task: null };
      slot.worker.unref();
      slot.worker.on('message', (reply: TaskReply) => this.finish(slot, reply));
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

  private finish(slot: Slot, reply: TaskReply): void {
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
