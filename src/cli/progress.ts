/**
 * Progress on stderr, so `--json` output on stdout stays clean either way: a bar
 * when stderr is a terminal; otherwise (logs, CI) a plain line at most every
 * LINE_SECONDS for work that lasts longer than that.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total?: number): void;
  stop(): void;
}

const SILENT: Progress = { update: () => undefined, stop: () => undefined };

export const LINE_SECONDS = 30;

function progressLines(label: string, total: number): Progress {
  const start = performance.now();
  let last = start;
  let max = total;
  return {
    update(done, t) {
      if (t !== undefined) max = t;
      const now = performance.now();
      if (now - last < LINE_SECONDS * 1000) return;
      last = now;
      const s = (now - start) / 1000;
      const eta = done > 0 && max > done ? `, ETA ${Math.round((s * (max - done)) / done)} s` : '';
      process.stderr.write(`${label}: ${done}/${max} after ${Math.round(s)} s${eta}\n`);
    },
    stop: () => undefined,
  };
}

/** `enabled`: true or false forces the bar on or off; by default a bar on terminals, lines elsewhere. */
export function progressBar(label: string, total: number, enabled?: boolean): Progress {
  if (total <= 0 || enabled === false) return SILENT;
  if (enabled !== true && process.stderr.isTTY !== true) return progressLines(label, total);
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update(done, t) {
      if (t !== undefined) bar.setTotal(t);
      bar.update(done);
    },
    stop() {
      bar.stop();
    },
  };
}
