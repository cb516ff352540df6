// The exchange tap of a recursive crawl: for each response it notes the Content-Type in the
// record, and for the final 2xx response of a page below --depth (HTML, or CSS with
// --requisites), a robots.txt of --sitemaps or a sitemap, it decodes the body as it streams
// (Content-Encoding gzip, deflate, br: the wire bytes stay what the record counts) and hands
// the URLs found to the LinkAdmitter before the page's record is written.

import type { Transform } from 'node:stream';
import { contentDecoders } from '../content-coding.js';
import { extractCssUrls, isCssType, isHtmlType, LinkExtractor } from '../discover/extract.js';
import { robotsSitemaps } from '../discover/robots-sitemaps.js';
import { headerSaysNofollow } from '../discover/robots-tag.js';
import { SitemapParser } from '../discover/sitemap.js';
import { headerValue } from '../http-headers.js';
import type { ExchangeEnd, ExchangeObserver, ExchangeRequest, ExchangeTap, TappedTask } from '../exchange.js';
import type { FollowConfig } from './options.js';
import type { Via, ViaKind } from './via.js';

/** Where a page's URLs go: the local frontier (follower.ts), or a Redis worker's queue (redis-links.ts). */
export interface LinkAdmitter {
  readonly cfg: FollowConfig;
  /** --robots is on: a page's robots nofollow (meta tag or X-Robots-Tag header) is honoured. */
  readonly robots: boolean;
  /**
   * Admits the URLs one page (or sitemap) gave, found on `parent` (its URL after redirects), at
   * `depth`, as `kind`. Returns how many were new, or null when that is decided elsewhere (Redis).
   */
  admit(task: TappedTask, links: readonly string[], via: Via, parent: string, depth: number, kind: ViaKind): number | null;
}

/** Decoded bytes read from one body at most: a small gzip bomb must not become gigabytes. */
const MAX_DECODED = 64 * 1024 * 1024;
/** robots.txt: as much as the robots parser reads (RFC 9309 asks for at least 500 KiB). */
const MAX_ROBOTS = 500 * 1024;

/** Where one body's decoded bytes go, and what to do with them at the end. */
interface Consumer {
  write(chunk: Buffer): void;
  finish(): void | Promise<void>;
}

export class PageTap implements ExchangeTap {
  readonly #follower: LinkAdmitter;

  constructor(follower: LinkAdmitter) {
    this.#follower = follower;
  }

  open(task: TappedTask, request: ExchangeRequest): ExchangeObserver | null {
    const via = task.job.via;
    return via === undefined ? null : new PageObserver(this.#follower, task, via, request.origin + request.path);
  }
}

class PageObserver implements ExchangeObserver {
  readonly #follower: LinkAdmitter;
  readonly #task: TappedTask;
  readonly #via: Via;
  /** This exchange's URL: links resolve against it (the final URL once redirects are done). */
  readonly #url: string;
  #consumer: Consumer | null = null;
  /** The Content-Encoding decoders, piped one into the next (stacked codings); null: none. */
  #decoders: Transform[] | null = null;
  /** A decoder failed, or enough was decoded: end() reads what was decoded, without waiting. */
  #decodeFailed = false;
  #decoded = 0;
  #status = 0;
  /** With --robots: the response's X-Robots-Tag says nofollow (its links are not followed). */
  #headerNofollow = false;

  constructor(follower: LinkAdmitter, task: TappedTask, via: Via, url: string) {
    this.#follower = follower;
    this.#task = task;
    this.#via = via;
    this.#url = url;
  }

  head(status: number, _statusText: string, rawHeaders: readonly Buffer[]): void {
    this.#status = status;
    const contentType = headerValue(rawHeaders, 'content-type');
    this.#task.setField('contentType', contentType === null ? 'null' : JSON.stringify(contentType));
    if (status < 200 || status >= 300) return;
    this.#headerNofollow = this.#follower.robots && headerSaysNofollow(rawHeaders);
    this.#consumer = this.#consumerFor(contentType);
    if (this.#consumer === null) return;
    const factories = contentDecoders(headerValue(rawHeaders, 'content-encoding'));
    if (factories === null) {
      this.#consumer = null; // a coding we cannot read: no links, the page is still recorded
      return;
    }
    if (factories.length > 0) {
      const decoders = factories.map((make) => make());
      for (let i = 0; i + 1 < decoders.length; i++) decoders[i]!.pipe(decoders[i + 1]!);
      decoders.at(-1)!.on('data', (chunk: Buffer) => this.#feed(chunk));
      for (const d of decoders) {
        d.on('error', () => {
          // A broken gzip stream: keep what was decoded before the fault. No 'end' follows an
          // error, so end() must not wait for one.
          this.#decodeFailed = true;
        });
      }
      this.#decoders = decoders;
    }
  }

  data(chunk: Buffer): void {
    if (this.#consumer === null) return;
    if (this.#decoders !== null) {
      if (!this.#decodeFailed) this.#decoders[0]!.write(chunk);
    } else this.#feed(chunk);
  }

  end(outcome: ExchangeEnd): void | Promise<void> {
    const consumer = this.#consumer;
    const needsRobotsFallback = this.#via.kind === 'robots' && (this.#status < 200 || this.#status >= 300 || outcome.error !== null);
    if (needsRobotsFallback) {
      // No robots.txt to read: the conventional place of a sitemap.
      this.#admitSitemaps([]);
      return;
    }
    if (consumer === null || outcome.error !== null) return;
    const decoders = this.#decoders;
    if (decoders === null || this.#decodeFailed) return consumer.finish();
    return new Promise<void>((resolve) => {
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        void Promise.resolve(consumer.finish()).then(resolve, resolve);
      };
      // The last decoder ends once every one before it has; a fault anywhere ends the reading,
      // and so does the cap (#feed destroys the decoders: 'close' without 'end').
      const last = decoders.at(-1)!;
      last.once('end', done);
      last.once('close', done);
      for (const d of decoders) d.once('error', done);
      decoders[0]!.end();
    });
  }

  #feed(chunk: Buffer): void {
    if (this.#decoded >= MAX_DECODED) return;
    this.#decoded += chunk.length;
    this.#consumer!.write(chunk);
    if (this.#decoded >= MAX_DECODED && this.#decoders !== null) {
      // Enough read for links: stop inflating. A small compressed body can expand to gigabytes
      // (a kilobyte of brotli took seconds, 8 MB of gzip minutes), and end() would wait for it,
      // holding the URL's record past --timeout and a shutdown.
      this.#decodeFailed = true;
      for (const d of this.#decoders) d.destroy();
    }
  }

  #consumerFor(contentType: string | null): Consumer | null {
    const via = this.#via;
    const f = this.#follower;
    if (via.kind === 'robots') return this.#text(MAX_ROBOTS, (text) => this.#admitSitemaps(robotsSitemaps(text, this.#url)));
    if (via.kind === 'sitemap') {
      const parser = new SitemapParser();
      return {
        write: (chunk) => parser.write(chunk),
        finish: async () => {
          const result = await parser.end();
          if (result.kind === 'index') this.#report(result.locs.length, f.admit(this.#task, result.locs, via, this.#url, 0, 'sitemap'));
          else this.#report(result.locs.length, f.admit(this.#task, result.locs, via, this.#url, 0, 'page'));
        },
      };
    }
    if (via.depth >= f.cfg.depth) return null;
    if (isHtmlType(contentType)) {
      const extractor = new LinkExtractor(this.#url, { requisites: f.cfg.requisites });
      return {
        write: (chunk) => extractor.write(chunk),
        finish: () => {
          const page = extractor.end();
          // <meta name="robots" content="nofollow"> (or the header) is honoured with --robots, as robots.txt is.
          const links = (page.nofollow && f.robots) || this.#headerNofollow ? [] : page.links;
          this.#report(page.links.length, f.admit(this.#task, links, via, this.#url, via.depth + 1, 'page'));
        },
      };
    }
    if (f.cfg.requisites && isCssType(contentType)) {
      return this.#text(MAX_DECODED, (css) => {
        const urls = extractCssUrls(css, this.#url);
        this.#report(urls.length, f.admit(this.#task, this.#headerNofollow ? [] : urls, via, this.#url, via.depth + 1, 'page'));
      });
    }
    return null;
  }

  /** Collects a text body up to `max` bytes, then `use` it. */
  #text(max: number, use: (text: string) => void): Consumer {
    const chunks: Buffer[] = [];
    let size = 0;
    return {
      write(chunk) {
        if (size >= max) return;
        chunks.push(chunk.length > max - size ? chunk.subarray(0, max - size) : chunk);
        size += chunk.length;
      },
      finish: () => use(Buffer.concat(chunks).toString('utf8')),
    };
  }

  #admitSitemaps(sitemaps: string[]): void {
    const list = sitemaps.length > 0 ? sitemaps : [`${new URL(this.#url).origin}/sitemap.xml`];
    this.#report(sitemaps.length, this.#follower.admit(this.#task, list, this.#via, this.#url, 0, 'sitemap'));
  }

  #report(found: number, admitted: number | null): void {
    this.#task.setField('links', `{"found":${found},"admitted":${admitted}}`);
  }
}
