import { parentPort } from 'node:worker_threads';
import { ROW_KERNELS } from '../../cpu/row-kernels.ts';
import type { TaskMessage, TaskReply } from './worker-pool.ts';

/**
 * The program of every CPU worker thread (built as dist/cpu-worker.js, its own entry): runs one row
 * range of a row kernel per message, on arrays that live in SharedArrayBuffers, and replies when done.
 */
const port = parentPort;
if (!port) throw new Error('cpu-worker: this module runs as a worker thread of the CPU pool');
port.on('message', (m: TaskMessage) => {
  let reply: TaskReply;
  try {
    ROW_KERNELS[m.kernel](m.args as never, m.r0, m.r1);
    reply = { id: m.id, ok: true };
  } catch (e) {
    reply = { id: m.id, ok: false, error: String((e instanceof Error && e.stack) || e) };
  }
  port.postMessage(reply);
});
