// Run by atomic.test.ts in a child process: writes `path` slowly through an AtomicWriter so the parent
// can SIGKILL it midway. With `commit`, it finishes and commits instead.
import { openAtomicWriter } from '../../src/io/atomic.ts';

const [path, mode] = process.argv.slice(2);
const writer = await openAtomicWriter(path!);
const chunk = new Uint8Array(1 << 20).fill(7);
const chunks = mode === 'commit' ? 4 : 10_000;
for (let k = 0; k < chunks; k++) {
  await writer.write(chunk);
  if (k === 2) process.stdout.write(`writing ${writer.tempPath}\n`);
  await new Promise((r) => setTimeout(r, 10));
}
await writer.commit();
process.stdout.write('committed\n');
