// The response seam: optional features (WARC files, link extraction, a save dir) see each HTTP
// exchange of a run (every hop of every attempt) through taps fixed when the run is wired, the
// way undici's interceptors or autocannon's tracker events wrap a request without editing it.
// Without a tap nothing is allocated or called per request: the fetcher checks one null.
//
// An observer sees the request as dispatched, the response head as received (raw header list,
// status text), the body bytes as received (content-coding not decoded, transfer-coding removed
// by undici) and the end. An end may return a promise (a WARC record being written, a gzip body
// being inflated for parsing): the URL's record waits for it, so whatever the tap adds to the
// record (fields) and whatever it hands on (links into the frontier) happens before the record.

import type { CrawlError } from './errors.js';
import type { Job } from './input.js';

export interface ExchangeRequest {
  /** scheme://host[:port] */
  origin: string;
  /** path + query */
  path: string;
  method: string;
  /** The headers sweep passed to undici (lower-case names). */
  headers: Readonly<Record<string, string>>;
  /** Wall-clock ms when the hop was dispatched. */
  at: number;
  /** 1-based attempt and 0-based redirect hop within it. */
  attempt: number;
  hop: number;
}

export interface ExchangeEnd {
  /** null: the response was complete. */
  error: CrawlError | null;
  /** The body was cut at --max-body. */
  truncated: boolean;
}

export interface ExchangeObserver {
  head(status: number, statusText: string, rawHeaders: readonly Buffer[]): void;
  /**
   * A body chunk. false: the tap is backed up (its disk behind): the fetcher stops reading this
   * body until a tap drains, so what a slow disk cannot take stays in the kernel, not in memory.
   */
  data(chunk: Buffer): boolean | void;
  end(outcome: ExchangeEnd): void | Promise<void>;
}

/** What a tap sees of the URL's task: its job, and record fields it may set. */
export interface TappedTask {
  readonly job: Job;
  /** The server address the hop in flight went to, once connected; null when unknown (net/peer.ts). */
  readonly peerAddress: string | null;
  /** The version on the status line of the response whose head is being observed; null when unknown. */
  readonly httpVersion: string | null;
  /** Adds (or replaces) a record field: `name` and its JSON text. The last exchange's value wins. */
  setField(name: string, json: string): void;
}

export interface ExchangeTap {
  /** A hop is about to be dispatched: this exchange's observer, or null to let it pass unseen. */
  open(task: TappedTask, request: ExchangeRequest): ExchangeObserver | null;
  /** True while the tap cannot keep up (a WARC file behind): the pool starts nothing. */
  readonly backedUp?: boolean;
  /** Set by the run: call when no longer backed up. */
  onDrain?: () => void;
  /** Set by the run: the tap failed for good (disk full): the run stops, exit 1. */
  onError?: (err: Error) => void;
  /** Flushes and closes (files fsynced) once every request has ended. */
  close?(): Promise<void>;
}

export function openObservers(taps: readonly ExchangeTap[], task: TappedTask, request: ExchangeRequest): ExchangeObserver[] | null {
  let out: ExchangeObserver[] | null = null;
  for (const tap of taps) {
    const observer = tap.open(task, request);
    if (observer !== null) (out ??= []).push(observer);
  }
  return out;
}

/** Ends every observer; a promise when one of them needs time (never rejects), else null. */
export function endObservers(observers: readonly ExchangeObserver[], outcome: ExchangeEnd): Promise<void> | null {
  let pending: Promise<void>[] | null = null;
  for (const o of observers) {
    const p = o.end(outcome);
    if (p !== undefined) (pending ??= []).push(p);
  }
  // A tap reports its own failures through onError; its promise must not hold the URL forever.
  return pending === null ? null : Promise.all(pending).then(
    () => {},
    () => {},
  );
}
