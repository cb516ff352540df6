// Runs the real crawl (same pool, fetcher and Agent settings as `sweep`) over an in-memory URL
// list or the config's inputs, with records built but discarded: what sweep bench measures.

import type { CrawlConfig } from '../config.js';
import { crawl, type RecordWriter } from '../crawl.js';
import { makeJob, type InputProgress, type Job } from '../input.js';
import type { Interrupts } from '../run/interrupts.js';
import type { StatsSnapshot } from '../stats.js';

/** Takes records and drops them: the bench measures fetching, not the disk. */
export class DiscardSink implements RecordWriter {
  records = 0;
  readonly backedUp = false;
  onDrain = (): void => {};
  onBroken = (): void => {};
  onError = (_err: Error): void => {};
  write(_line: string): void {
    this.records++;
  }
  async close(): Promise<void> {}
}

const BATCH = 1024;

/** A job source over an array, in batches like input.ts yields them. */
export function listJobs(urls: readonly string[]): (input: InputProgress) => AsyncIterable<Job[]> {
  return async function* (input) {
    for (let i = 0; i < urls.length; i += BATCH) {
      const batch = urls.slice(i, i + BATCH).map((url, k) => makeJob(i + k + 1, url));
      input.linesRead += batch.length;
      yield batch;
    }
    input.done = true;
  };
}

export interface ListRun {
  snapshot: StatsSnapshot;
  /** Records the crawl produced: one per URL, whatever happened to it. */
  records: number;
  /** User + system CPU of this process during the run (the testbed runs in another process). */
  cpuMs: number;
  /** Non-zero when a signal interrupted the crawl (130 / 143). */
  exitCode: number;
}

/** Crawls `urls` (or cfg.inputs when null) without summary, progress or record output. */
export async function crawlList(cfg: CrawlConfig, urls: readonly string[] | null, interrupts?: Interrupts): Promise<ListRun> {
  const sink = new DiscardSink();
  const quiet: CrawlConfig = { ...cfg, quiet: true, progress: false, output: null, summaryJson: null };
  const cpu = process.cpuUsage();
  const sources = urls === null ? { sink } : { sink, jobs: listJobs(urls) };
  const result = await crawl(quiet, { stdin: process.stdin, stderr: process.stderr }, interrupts === undefined ? sources : { ...sources, interrupts });
  const used = process.cpuUsage(cpu);
  return { snapshot: result.snapshot, records: sink.records, cpuMs: (used.user + used.system) / 1000, exitCode: result.exitCode };
}
