// The local crawl: input files / stdin as the job source, stdout or -o (or --resume's file) as
// the sink, and the run core (run/core.ts) in between. Everything else a run does lives there.

import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import type { CrawlConfig } from './config.js';
import type { Follower, FollowStats } from './follow/follower.js';
import type { FollowConfig } from './follow/options.js';
import type { FinishedKeys, ResumeState } from './polite/resume.js';
import type { ExchangeTap } from './exchange.js';
import type { KeepConfig } from './keep/warc-tap.js';
import { readJobs, totalInputBytes, type InputProgress, type Job } from './input.js';
import { createLogger } from './logger.js';
import { RecordSink } from './output.js';
import { Run, type RunOutcome } from './run/core.js';
import type { Interrupts, StopSignal } from './run/interrupts.js';
import { lineSink, type LineWriter } from './run/line-sink.js';
import { reportOutcome } from './run/summary.js';
import { tuneForRunLength } from './short-run.js';
import type { StatsSnapshot } from './stats.js';

export interface CrawlResult {
  snapshot: StatsSnapshot;
  /** 0 completed; 1 the records could not be written; 130 / 143 interrupted by SIGINT / SIGTERM. */
  exitCode: number;
}

export interface CrawlIo {
  stdin: NodeJS.ReadableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** The record writer as crawl() uses it: RecordSink, or a stand-in that discards (sweep bench). */
export type RecordWriter = LineWriter;

/**
 * Injection points for callers other than the CLI (sweep bench): a job source instead of
 * reading cfg.inputs, a record sink instead of stdout / -o, and what stops the run (the CLI
 * forwards SIGINT / SIGTERM; without it nothing but the end of the input stops the run).
 */
export interface CrawlSources {
  /** Yields batches of Jobs and keeps `input.linesRead` (and `done`) current. */
  jobs?: (input: InputProgress) => AsyncIterable<Job[]>;
  sink?: RecordWriter;
  interrupts?: Interrupts;
  /** Observers of every exchange (src/exchange.ts). */
  taps?: readonly ExchangeTap[];
}

export async function crawl(cfg: CrawlConfig, io: CrawlIo = { stdin: process.stdin, stderr: process.stderr }, sources: CrawlSources = {}): Promise<CrawlResult> {
  const logger = createLogger(cfg.logLevel);
  if (cfg.insecure) io.stderr.write('sweep: warning: --insecure: TLS certificates are not verified\n');
  // Headers go to the log at debug only; pino redacts Authorization, Cookie and Proxy-Authorization.
  logger.info({ inputs: cfg.inputs, concurrency: cfg.concurrency, timeoutMs: cfg.timeoutMs }, 'crawl started');
  logger.debug({ headers: cfg.headers, method: cfg.method }, 'request settings');

  const input: InputProgress = {
    bytesRead: 0,
    bytesTotal: sources.jobs ? null : await totalInputBytes(cfg.inputs),
    linesRead: 0,
    skipped: 0,
    done: false,
  };
  tuneForRunLength(input.bytesTotal, cfg.follow !== null);
  const readsStdin = sources.jobs === undefined && cfg.inputs.includes('-');
  // --resume: read the previous records (cutting a torn tail) before the file is appended to.
  const resume = cfg.resume === null ? null : await (await import('./polite/resume.js')).scanResume(cfg.resume, undefined, cfg.follow === null ? undefined : await finishedKeys());
  const writer: RecordWriter = sources.sink ?? new RecordSink(cfg.resume ?? cfg.output, cfg.resume !== null);
  const follower = cfg.follow === null ? null : await openFollower(cfg, cfg.follow, resume);
  if (follower !== null && writer instanceof RecordSink) writer.beforeWrite = () => follower.flushSync();
  const warc = cfg.keep === null ? null : await openWarc(cfg, cfg.keep);
  const save = cfg.save === null ? null : await (await import('./keep/save-tap.js')).SaveTap.open(cfg.save.dir, cfg.save.types);
  const taps = [...(follower === null ? [] : [follower.tap]), ...(warc === null ? [] : [warc]), ...(save === null ? [] : [save]), ...(sources.taps ?? [])];
  const inputJobs = sources.jobs ? sources.jobs(input) : readJobs(cfg.inputs, input, io.stdin as never);
  const run = await Run.create({
    cfg,
    stderr: io.stderr,
    input,
    jobs: follower === null ? inputJobs : follower.seeds(inputJobs),
    frontier: follower?.source,
    hopPolicy: follower?.hopPolicy,
    taps,
    sink: lineSink(writer),
    resume,
    interrupts: sources.interrupts,
    parkedAtStop: 'record',
    stopMessage(signal: StopSignal, inFlight: number, graceMs: number): string {
      return `\nsweep: ${signal}: stopped reading input; ${inFlight} requests in flight get ${graceMs} ms to finish (${signal} again aborts them now)\n`;
    },
  });
  if (follower !== null) follower.onWork = () => run.pump();
  let outcome: RunOutcome;
  let followStats: FollowStats | null = null;
  const executing = run.execute(); // subscribes to the interrupts before its first await
  // After the run has stopped reading input (its listener came first): an open pipe on stdin
  // would keep the process alive after the last record.
  const letGoOfStdin = readsStdin ? sources.interrupts?.subscribe(() => (io.stdin as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.()) : undefined;
  try {
    outcome = await executing;
  } finally {
    letGoOfStdin?.();
    followStats = follower?.stats() ?? null;
    follower?.close();
  }
  const exitCode = await reportOutcome(cfg, outcome, io.stderr, followStats === null ? {} : { text: formatFollow(followStats), json: { follow: followStats } });
  logger.info({ records: outcome.snapshot.records, elapsedMs: outcome.snapshot.elapsedMs }, 'crawl finished');
  return { snapshot: outcome.snapshot, exitCode };
}

/** --warc: the writer as an exchange tap; with --resume it continues the series after cutting a torn record. */
async function openWarc(cfg: CrawlConfig, keep: KeepConfig): Promise<ExchangeTap> {
  const { WarcTap } = await import('./keep/warc-tap.js');
  const { VERSION } = await import('./version.js');
  const info = { software: `sweep/${VERSION}`, 'sweep-inputs': cfg.inputs.join(' ') };
  return WarcTap.open(keep, info, cfg.resume !== null);
}

/** A compact set of normalized URL keys (24 bytes a URL), for what a resumed recursive crawl finished. */
async function finishedKeys(): Promise<FinishedKeys> {
  const [{ SeenSet }, { loadHasher }, { normalizeUrl }] = await Promise.all([
    import('./frontier/seen.js'),
    import('./polite/hash.js'),
    import('./discover/normalize.js'),
  ]);
  const set = new SeenSet(await loadHasher());
  return { keyOf: normalizeUrl, add: (key) => void set.claim(key, 0), has: (key) => set.has(key) };
}

/**
 * Opens the frontier: beside --resume's file its admission log; its spill in --state-dir or the
 * output's directory, named after the records file so that the next run on that file removes
 * what a killed one left (`sweep-frontier-<file name>-<hash of its path>`).
 */
async function openFollower(cfg: CrawlConfig, follow: FollowConfig, resume: ResumeState | null): Promise<Follower> {
  const { Follower } = await import('./follow/follower.js');
  const file = cfg.resume ?? cfg.output;
  const path = file === null ? null : resolve(file);
  return Follower.open(follow, {
    resumeLog: cfg.resume === null ? null : `${cfg.resume}.frontier`,
    spillDir: follow.stateDir ?? (path === null ? null : dirname(path)),
    spillName: path === null ? null : spillNameFor(path),
    ...(resume?.finishedKeys === undefined ? {} : { isFinished: (key: string) => resume.finishedKeys!.has(key) }),
    robots: cfg.robots,
  });
}

/** A spill directory's name for the records file at `path`: readable, and one per path. */
export function spillNameFor(path: string): string {
  const hash = createHash('sha256').update(path).digest('hex').slice(0, 12);
  return `sweep-frontier-${[...basename(path)].slice(0, 60).join('')}-${hash}`;
}

function formatFollow(s: FollowStats): string {
  return (
    `  follow         depth ${s.depth}, scope ${s.scope}: ${s.found} links found, ${s.admitted} URLs admitted, ` +
    `${s.outOfScope} out of scope${s.overLimit > 0 ? `, ${s.overLimit} over --max-pages` : ''}` +
    `${s.redirectsStopped > 0 ? `, ${s.redirectsStopped} redirects out of scope not followed` : ''}` +
    `${s.pending > 0 ? `, ${s.pending} not fetched` : ''}\n`
  );
}
