// The progress bar: cli-progress on the run's stderr stream, only when asked for (auto: it is a TTY).
// The crawl never draws; a timer samples its counters, as autocannon's tracker does.

import { createRequire } from 'node:module';
import type { InputProgress } from './input.js';
import type { Stats } from './stats.js';

export interface ProgressHandle {
  stop(): void;
}

const REDRAW_MS = 200;

export async function startProgress(stats: Stats, input: InputProgress, stream: NodeJS.WritableStream): Promise<ProgressHandle> {
  // Required, not imported (CommonJS: an import runs Node's export lexer over it first, 31 ms
  // against 18 here). Loaded only when a bar is drawn.
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: ' {bar} {value}/{total} | {rate} req/s | ok {ok} failed {failed} | ETA {eta_formatted}',
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: false,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const estimateTotal = (): number => {
    // Total records from the share of input bytes read so far; exact once input is done.
    const seen = input.linesRead - input.skipped;
    if (input.done || input.bytesTotal === null || input.bytesRead === 0) return Math.max(seen, stats.records);
    return Math.max(seen, Math.round((seen * input.bytesTotal) / input.bytesRead));
  };
  bar.start(estimateTotal(), 0, { rate: 0, ok: 0, failed: 0 });
  const timer = setInterval(() => {
    const elapsed = stats.elapsedMs / 1000;
    bar.setTotal(estimateTotal());
    bar.update(stats.records, {
      rate: elapsed > 0 ? Math.round(stats.records / elapsed) : 0,
      ok: stats.ok,
      failed: stats.failed,
    });
  }, REDRAW_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      bar.setTotal(Math.max(stats.records, estimateTotal()));
      bar.update(stats.records, { ok: stats.ok, failed: stats.failed });
      bar.stop();
    },
  };
}
