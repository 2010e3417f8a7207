/**
 * Progress on stderr for long work: a redrawn bar when stderr is a TTY, otherwise a plain line every few
 * seconds. Nothing is shown for work that finishes within the first second, so quick commands stay quiet;
 * FTCAL_PROGRESS=always shows it from the start (logs of batch jobs, and tests that must not depend on
 * how fast the machine is).
 */
export interface Progress {
  /** `stage` names a later phase of the same work (the bootstrap after the pass): it restarts the ETA. */
  update(done: number, total: number, stage?: string): void;
  done(): void;
}

export function progress(label: string, options: { quiet?: boolean } = {}): Progress {
  let start = Date.now();
  let stageLabel = label;
  let stage: string | undefined;
  const tty = process.stderr.isTTY === true;
  let lastPrint = 0;
  let shown = false;
  const quiet = options.quiet === true;
  const delay = process.env.FTCAL_PROGRESS === 'always' ? 0 : 1000;
  return {
    update(done, total, next) {
      if (quiet) return;
      if (next !== stage) {
        // The first stage is the work itself; a later one is named beside the label.
        if (stage !== undefined) {
          stageLabel = `${label} (${next})`;
          start = Date.now();
          lastPrint = 0;
          if (shown && tty) process.stderr.write('\n');
        }
        stage = next;
      }
      const now = Date.now();
      if (now - start < delay) return;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
      if (tty) {
        if (now - lastPrint < 100 && done < total) return;
        const width = 30;
        const fill = Math.round(frac * width);
        const eta = frac > 0 ? ((now - start) / frac - (now - start)) / 1000 : Number.NaN;
        const etaText = Number.isFinite(eta) ? ` ETA ${eta.toFixed(0)}s` : '';
        process.stderr.write(
          `\r${stageLabel} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${pct}${etaText}\u001b[K`,
        );
      } else {
        if (now - lastPrint < 3000 && done < total) return;
        process.stderr.write(`${stageLabel}: ${pct} (${done}/${total})\n`);
      }
      lastPrint = now;
      shown = true;
    },
    done() {
      if (shown && tty)
        process.stderr.write(
          `\r${stageLabel} done in ${((Date.now() - start) / 1000).toFixed(1)}s\u001b[K\n`,
        );
    },
  };
}
