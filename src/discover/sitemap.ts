// Sitemaps (sitemaps.org): `<urlset>` and `<sitemapindex>` XML, plain-text sitemaps (one URL a
// line), any of them gzipped, streamed. Gzip is recognized by its magic bytes (1f 8b), not by
// the name or the headers: servers label `.xml.gz` files every which way, and a body already
// decoded from Content-Encoding arrives here as plain XML.
//
// XML is read with sax (the streaming parser crawlee and browsertrix read sitemaps with) in its
// lenient mode, since sitemaps in the wild carry raw `&` in URLs. Only a `<loc>` whose parent is
// `<url>` (urlset) or `<sitemap>` (index) counts, whatever the namespace prefix, so the
// `<image:loc>` of image sitemaps is not taken for a page.
//
// Limits, from the protocol: 50,000 URLs and 50 MB (52,428,800 bytes) uncompressed per file;
// past either the file is cut and `truncated` is set. Decompression runs on Node's zlib stream
// (the thread pool), hence end() returns a Promise.

import { createRequire } from 'node:module';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, type Gunzip } from 'node:zlib';
import type * as Sax from 'sax';

// sax is loaded by require at the first XML sitemap: a recursive crawl without --sitemaps never
// reads one, and `import` of it cost ~18 ms of every recursive crawl's start (require: ~5).
let sax: typeof Sax | null = null;

export interface SitemapOptions {
  /** Default 50,000. */
  maxUrls?: number;
  /** Uncompressed bytes, default 52,428,800. */
  maxBytes?: number;
}

export interface SitemapResult {
  /** urlset: pages; index: more sitemaps; text: a plain-text sitemap; unknown: neither (a feed, HTML, …). */
  kind: 'urlset' | 'index' | 'text' | 'unknown';
  /** Absolute http(s) URLs, as serialized by the URL parser, in file order. */
  locs: string[];
  /** More URLs or bytes than the limits: the rest of the file was not read. */
  truncated: boolean;
  /** `<loc>` values (or text lines) that were not absolute http(s) URLs, skipped. */
  invalid: number;
  /** A broken gzip stream; what was read before it is kept. */
  error: string | null;
}

export const MAX_SITEMAP_URLS = 50_000;
export const MAX_SITEMAP_BYTES = 52_428_800;
/** The protocol caps a URL at 2,048 characters; a longer `<loc>` is skipped, not kept. */
const MAX_LOC_CHARS = 8192;

const localName = (name: string): string => name.slice(name.indexOf(':') + 1);

export class SitemapParser {
  private readonly maxUrls: number;
  private readonly maxBytes: number;
  private readonly result: SitemapResult = { kind: 'unknown', locs: [], truncated: false, invalid: 0, error: null };
  private head: Buffer | null = Buffer.alloc(0); // the first bytes, until gzip or not is known
  private gunzip: Gunzip | null = null;
  private gunzipDone: Promise<void> | null = null;
  private bytes = 0;
  private stopped = false;
  private ended = false;
  private readonly decoder = new StringDecoder('utf8');
  private form: 'undecided' | 'xml' | 'text' = 'undecided';
  private xml: Sax.SAXParser | null = null;
  private line = ''; // text sitemaps: the line so far
  // XML state: element names from the root down (local names), and the <loc> text being read.
  private readonly stack: string[] = [];
  private loc: string | null = null;

  constructor(options: SitemapOptions = {}) {
    this.maxUrls = options.maxUrls ?? MAX_SITEMAP_URLS;
    this.maxBytes = options.maxBytes ?? MAX_SITEMAP_BYTES;
  }

  /** Raw body bytes (gzipped or not), in any chunking. */
  write(chunk: Buffer): void {
    if (this.ended || this.stopped) return;
    if (this.head !== null) {
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 2) return;
      chunk = this.head;
      this.head = null;
      if (chunk[0] === 0x1f && chunk[1] === 0x8b) this.startGunzip();
    }
    if (this.gunzip !== null) this.gunzip.write(chunk);
    else this.decoded(chunk);
  }

  async end(): Promise<SitemapResult> {
    if (!this.ended) {
      this.ended = true;
      if (this.head !== null && this.head.length > 0) this.decoded(this.head);
      this.head = null;
      if (this.gunzip !== null) {
        if (!this.stopped) this.gunzip.end();
        await this.gunzipDone;
      }
      this.finishText();
    }
    return this.result;
  }

  private startGunzip(): void {
    const gunzip = (this.gunzip = createGunzip());
    gunzip.on('data', (data: Buffer) => this.decoded(data));
    this.gunzipDone = new Promise((resolve) => {
      gunzip.on('error', (err) => {
        this.result.error = `gzip: ${err.message}`;
      });
      gunzip.on('close', resolve);
    });
  }

  /** Stops reading: limits reached. Whatever comes later is dropped. */
  private stop(): void {
    this.stopped = true;
    this.result.truncated = true;
    this.gunzip?.destroy();
  }

  /** Uncompressed bytes. */
  private decoded(data: Buffer): void {
    if (this.stopped) return;
    if (this.bytes + data.length > this.maxBytes) {
      data = data.subarray(0, this.maxBytes - this.bytes);
      this.feed(data);
      if (!this.stopped) this.stop();
      return;
    }
    this.bytes += data.length;
    this.feed(data);
  }

  private feed(data: Buffer): void {
    const text = this.decoder.write(data);
    if (text === '') return;
    if (this.form === 'undecided') {
      const first = text.replace(/^[\uFEFF\s]+/, '');
      if (first === '') return; // only whitespace so far: wait
      this.form = first.startsWith('<') ? 'xml' : 'text';
      if (this.form === 'xml') this.startXml();
      else this.result.kind = 'text';
    }
    if (this.xml !== null) this.xml.write(text);
    else this.textLines(text);
  }

  // ---- XML ----

  private startXml(): void {
    sax ??= createRequire(import.meta.url)('sax') as typeof Sax;
    const p = (this.xml = sax.parser(false, { lowercase: true, trim: false, normalize: false }));
    // Lenient mode still reports some errors (an over-long text node); keep going after them.
    p.onerror = () => {
      p.error = null as unknown as Error;
    };
    p.onopentag = (tag) => {
      const name = localName(tag.name);
      if (this.stack.length === 0) {
        this.result.kind = name === 'urlset' ? 'urlset' : name === 'sitemapindex' ? 'index' : 'unknown';
      }
      const parent = this.stack[this.stack.length - 1];
      const kind = this.result.kind;
      if (name === 'loc' && ((parent === 'url' && kind === 'urlset') || (parent === 'sitemap' && kind === 'index'))) this.loc = '';
      this.stack.push(name);
    };
    const text = (t: string): void => {
      if (this.loc !== null && this.loc.length <= MAX_LOC_CHARS) this.loc += t;
    };
    p.ontext = text;
    p.oncdata = text;
    p.onclosetag = () => {
      if (this.loc !== null) {
        const loc = this.loc;
        this.loc = null;
        this.add(loc);
      }
      this.stack.pop();
    };
  }

  // ---- text ----

  private textLines(text: string): void {
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = this.line + text.slice(start, nl);
      this.line = '';
      this.add(line);
      if (this.stopped) return;
      start = nl + 1;
    }
    if (this.line.length <= MAX_LOC_CHARS) this.line += text.slice(start);
  }

  private finishText(): void {
    const rest = this.decoder.end();
    if (this.xml !== null) {
      if (rest) this.xml.write(rest);
      this.xml.close();
    } else if (this.form === 'text' && !this.stopped) {
      this.add(this.line + rest);
      this.line = '';
    }
  }

  /** A `<loc>` or a line: trimmed, kept when it is an absolute http(s) URL. */
  private add(raw: string): void {
    const value = raw.trim();
    if (value === '' || this.stopped) return;
    if (value.length > MAX_LOC_CHARS) { this.result.invalid++; return; }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.result.invalid++;
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') { this.result.invalid++; return; }
    if (this.result.locs.length >= this.maxUrls) { this.stop(); return; }
    this.result.locs.push(url.href);
  }
}
