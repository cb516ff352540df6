// The NDJSON record: one per non-skipped input line. Built as a string by hand, in a fixed key
// order, because JSON.stringify of an object per record is measurably slower on the hot path and
// the only values that need escaping are the URLs and the error message.
//
// Those go through JSON.stringify, which escapes quotes, backslashes and every control character
// (so a record is always one line) and writes a lone surrogate as a \udXXX escape (ES2019
// well-formed stringify): the line stays valid UTF-8 and parses back to the very same string.
// sweep does not make lone surrogates itself: input is decoded from UTF-8, and the places that
// shorten text (an over-long line's head, error messages) cut between characters (clip() in
// errors.ts). test/record.property.test.ts holds these promises for any string.

import type { ErrorCode } from './errors.js';
import type { Via } from './follow/via.js';
import type { Job } from './input.js';
import type { UrlTask } from './fetcher.js';

/** The record as a type, for tests and for readers of the schema (README "Records"). */
export interface CrawlRecord {
  /** null for URLs found by a recursive crawl (they have no input line). */
  line: number | null;
  url: string;
  ok: boolean;
  status: number | null;
  bytes: number;
  attempts: number;
  ms: number;
  ttfbMs: number | null;
  redirects: number;
  finalUrl: string | null;
  error: { code: ErrorCode; message: string } | null;
  skipped?: string;
}

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

/** The record of a URL that was fetched (or tried), terminated by a newline. */
export function taskRecord(task: UrlTask): string {
  const url = JSON.stringify(task.job.url);
  const error = task.error;
  const status = task.status;
  return (
    `{"line":${lineOf(task.job)},"url":${url},"ok":${error === null},"status":${status}` +
    `,"bytes":${task.bytes},"attempts":${task.attempts},"ms":${round1(task.endedAt - task.startedAt)}` +
    `,"ttfbMs":${task.ttfbMs < 0 ? 'null' : round1(task.ttfbMs)},"redirects":${task.redirects}` +
    `,"finalUrl":${task.finalUrl === null ? url : JSON.stringify(task.finalUrl)}` +
    `,"error":${error === null ? 'null' : `{"code":"${error.code}","message":${JSON.stringify(error.message)}}`}` +
    (task.job.via === undefined ? '' : viaFields(task.job.via)) +
    (task.fields === null ? '}\n' : `${extraFields(task.fields)}}\n`)
  );
}

/** A discovered URL has no input line: 0 inside, null in the record. */
const lineOf = (job: Job): string => (job.line === 0 ? 'null' : String(job.line));

/** Recursive crawls: how the URL was found (README "Following links"). */
function viaFields(via: Via): string {
  const kind = via.kind === 'page' ? '' : `,"kind":"${via.kind}"`;
  return `,"depth":${via.depth},"parent":${via.parent === null ? 'null' : JSON.stringify(via.parent)}${kind}`;
}

/** Fields the exchange taps added (src/exchange.ts), after the fixed ones. */
function extraFields(fields: ReadonlyMap<string, string>): string {
  let out = '';
  for (const [name, json] of fields) out += `,"${name}":${json}`;
  return out;
}

/** The record of a line that got no request (invalid URL, robots, shutdown before start...). */
export function unfetchedRecord(job: Job, code: ErrorCode, message: string): string {
  return (
    `{"line":${lineOf(job)},"url":${JSON.stringify(job.url)},"ok":false,"status":null,"bytes":0,"attempts":0` +
    `,"ms":0,"ttfbMs":null,"redirects":0,"finalUrl":null,"error":{"code":"${code}","message":${JSON.stringify(message)}}` +
    `${job.via === undefined ? '' : viaFields(job.via)}}\n`
  );
}

/** The record of a line deliberately not fetched, such as a duplicate (--dedupe): no error. */
export function skippedRecord(job: Job, reason: 'duplicate'): string {
  return (
    `{"line":${lineOf(job)},"url":${JSON.stringify(job.url)},"ok":false,"status":null,"bytes":0,"attempts":0` +
    `,"ms":0,"ttfbMs":null,"redirects":0,"finalUrl":null,"error":null,"skipped":"${reason}"` +
    `${job.via === undefined ? '' : viaFields(job.via)}}\n`
  );
}
