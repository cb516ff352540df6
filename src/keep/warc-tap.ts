// --warc (and --cdx): the exchange tap that writes every HTTP exchange of a run, each hop and
// each retried attempt, as a WARC request/response pair (warc-writer.ts). The URL's record gains
// `sha256` (the payload as received, hex) and `warc` ({file, offset, length} of its response
// record), and waits for them: a record never points at bytes the file does not hold.
//
// Every exchange that got a response head is written, also one whose response then broke off
// (reset, timeout, --max-body): what arrived, marked WARC-Truncated with the reason.

import type { ExchangeEnd, ExchangeObserver, ExchangeRequest, ExchangeTap, TappedTask } from '../exchange.js';
import { CdxjWriter } from './cdxj.js';
import { WarcWriter, type TruncatedReason, type WarcRequest } from './warc-writer.js';

export interface KeepConfig {
  readonly warc: string;
  readonly warcMaxSize: number | null;
  readonly warcKeepSecrets: boolean;
  readonly cdx: string | null;
}

/** Origins whose header lists are kept at once (a many-origin crawl starts over past this). */
const MAX_LISTS = 4096;

/**
 * WARC-Truncated (WARC 1.1 §5.13) for how an exchange ended: null when the response was complete;
 * `length` for a body cut at --max-body; `time` for a timeout (--timeout, or undici's body
 * timeout); `disconnect` for a connection that broke (reset, closed early, a TLS or socket
 * failure); `unspecified` for the rest (a malformed chunk, a shutdown).
 */
export function truncatedReason(outcome: ExchangeEnd): TruncatedReason | null {
  if (outcome.truncated) return 'length';
  if (outcome.error === null) return null;
  switch (outcome.error.code) {
    case 'timeout':
      return 'time';
    case 'connection_reset':
    case 'network':
    case 'tls':
      return 'disconnect';
    default:
      return 'unspecified';
  }
}

export class WarcTap implements ExchangeTap {
  readonly #writer: WarcWriter;
  readonly #cdx: CdxjWriter | null;
  #listsFor: Readonly<Record<string, string>> | null = null;
  readonly #lists = new Map<string, readonly (readonly [string, string])[]>();
  onDrain?: () => void;
  onError?: (err: Error) => void;

  private constructor(writer: WarcWriter, cdx: CdxjWriter | null) {
    this.#writer = writer;
    this.#cdx = cdx;
    writer.onDrain = () => this.onDrain?.();
    writer.onError = (err) => this.onError?.(err);
    if (cdx !== null) writer.onResponse = (r) => cdx.add(r);
  }

  /** `resume`: continue the series after cutting a torn last record (--resume). */
  static async open(k: KeepConfig, info: Record<string, string>, resume: boolean): Promise<WarcTap> {
    const writer = await WarcWriter.open({
      path: k.warc,
      ...(k.warcMaxSize === null ? {} : { maxSize: k.warcMaxSize }),
      keepSecrets: k.warcKeepSecrets,
      info,
      resume,
    });
    const cdx = k.cdx === null ? null : await CdxjWriter.open(k.cdx, resume);
    return new WarcTap(writer, cdx);
  }

  get backedUp(): boolean {
    return this.#writer.backedUp;
  }

  open(task: TappedTask, request: ExchangeRequest): ExchangeObserver {
    const url = request.origin + request.path;
    const req: WarcRequest = { url, method: request.method, headers: this.#headerList(request), date: new Date(request.at), ip: null };
    const ex = this.#writer.exchange(req);
    let head = false;
    return {
      head(status, statusText, rawHeaders) {
        head = true;
        // The status line's version as received; unknown (proxies, --http2) is written as 1.1.
        ex.head(status, statusText, rawHeaders as Buffer[], task.httpVersion ?? undefined);
      },
      data(chunk) {
        return ex.data(chunk);
      },
      async end(outcome: ExchangeEnd) {
        // No response at all (refused, reset before the head): nothing to keep.
        if (!head) {
          ex.abort();
          return;
        }
        // Known once the hop's connection is up, so read at the end (WARC-IP-Address).
        req.ip = task.peerAddress;
        // A response that broke off after its head is kept too, with what arrived, marked as cut
        // (an archive keeps every exchange; a replay tool learns why the payload is short).
        const at = await ex.end({ truncated: truncatedReason(outcome) });
        if (at === null) return;
        task.setField('sha256', `"${at.payloadSha256Hex}"`);
        task.setField('warc', `{"file":${JSON.stringify(at.file)},"offset":${at.offset},"length":${at.length}}`);
      },
    };
  }

  /**
   * The request's header list as undici writes it: host first, then connection, then sweep's own
   * headers. One list per origin while the run's header object stays the same, so the request
   * head's lines are formatted once per origin (http-head.ts), not per exchange.
   */
  #headerList(request: ExchangeRequest): readonly (readonly [string, string])[] {
    if (request.headers !== this.#listsFor || this.#lists.size >= MAX_LISTS) {
      this.#listsFor = request.headers;
      this.#lists.clear();
    }
    let list = this.#lists.get(request.origin);
    if (list === undefined) {
      // scheme://host[:port]: the Host header is what follows the scheme.
      const host = request.origin.slice(request.origin.indexOf('//') + 2);
      list = [['host', host], ['connection', 'keep-alive'], ...Object.entries(request.headers)];
      this.#lists.set(request.origin, list);
    }
    return list;
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#cdx?.close();
  }
}
