// --warc (and --cdx): the exchange tap that writes every HTTP exchange of a run, each hop and
// each retried attempt, as a WARC request/response pair (warc-writer.ts). The URL's record gains
// `sha256` (the payload as received, hex) and `warc` ({file, offset, length} of its response
// record), and waits for them: a record never points at bytes the file does not hold.

import type { ExchangeEnd, ExchangeObserver, ExchangeRequest, ExchangeTap, TappedTask } from '../exchange.js';
import { CdxjWriter } from './cdxj.js';
import { WarcWriter } from './warc-writer.js';

export interface KeepConfig {
  readonly warc: string;
  readonly warcMaxSize: number | null;
  readonly warcKeepSecrets: boolean;
  readonly cdx: string | null;
}

export class WarcTap implements ExchangeTap {
  readonly #writer: WarcWriter;
  readonly #cdx: CdxjWriter | null;
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
    // What undici writes: host first, then connection, then sweep's own headers.
    const host = new URL(request.origin).host;
    const headers: [string, string][] = [['host', host], ['connection', 'keep-alive']];
    for (const [name, value] of Object.entries(request.headers)) headers.push([name, value]);
    const ex = this.#writer.exchange({ url, method: request.method, headers, date: new Date(request.at), ip: null });
    let head = false;
    return {
      head(status, statusText, rawHeaders) {
        head = true;
        ex.head(status, statusText, rawHeaders as Buffer[]);
      },
      data(chunk) {
        ex.data(chunk);
      },
      async end(outcome: ExchangeEnd) {
        // No response at all (refused, reset before the head): nothing to keep.
        if (!head || (outcome.error !== null && !outcome.truncated)) {
          ex.abort();
          return;
        }
        const at = await ex.end({ truncated: outcome.truncated ? 'length' : null });
        if (at === null) return;
        task.setField('sha256', `"${at.payloadSha256Hex}"`);
        task.setField('warc', `{"file":${JSON.stringify(at.file)},"offset":${at.offset},"length":${at.length}}`);
      },
    };
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#cdx?.close();
  }
}
