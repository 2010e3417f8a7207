/**
 * Ctrl-C or a polite kill while an output is being streamed: remove the temp file before exiting, so an
 * interrupted command leaves nothing behind (SIGKILL cannot be caught; the atomic writer still guarantees
 * the output path never holds a partial file, only a `.name.tmp-*` beside it may remain).
 */
export async function cleanupOnSignal<T>(cleanup: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  const handler = (signal: NodeJS.Signals) => {
    process.stderr.write(`ftcal: interrupted (${signal}); nothing was written\n`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  try {
    return await work();
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}
