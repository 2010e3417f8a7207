/**
 * Ctrl-C or a polite kill while an output is being streamed: remove the temp file before exiting, so an
 * interrupted command leaves nothing behind (SIGKILL cannot be caught; the atomic writer still guarantees
 * the output path never holds a partial file, only a `.name.tmp-*` beside it may remain).
 */
export async function cleanupOnSignal<T>(cleanup: () => Promise<void>, work: () => Promise<T>): Promise<T> {
  let interrupted = false;
  const handler = (signal: NodeJS.Signals) => {
    interrupted = true;
    process.stderr.write(`ftcal: interrupted (${signal}); nothing was written\n`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  try {
    return await work();
  } catch (e) {
    // The work fails once cleanup pulls the file from under it; that failure is the interruption, which
    // the handler reports and ends, so it must not surface as a second, confusing error.
    if (interrupted) await new Promise<never>(() => {});
    throw e;
  } finally {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  }
}
