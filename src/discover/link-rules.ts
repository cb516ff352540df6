// What counts as a link: which elements and attributes, rel lists, meta refresh and robots,
// <base>. The tokenizer in front of it (html-scanner.ts) only decides where tags are; this file
// decides what in a tag is a URL to follow, keeps the raw values in document order, and resolves
// them at the end (a <base> applies to every URL of the page, even one before it, as in browsers).

import { refreshUrl, srcsetUrls } from './attr-values.js';
import { robotsDirectives, saysNofollow } from './robots-tag.js';
import { cssUrlValues } from './css-urls.js';
import type { ScannerOptions, TagSink } from './html-scanner.js';
import { Resolver } from './resolve.js';

export interface PageLinks {
  /** Absolute http(s) URLs, fragment dropped, unique within the page, in document order. */
  links: string[];
  /** `<meta name="robots" content="nofollow">` (or `none`): the caller honours it under --robots. */
  nofollow: boolean;
  /** The first `<base href>`, resolved against the page URL; null when absent or not http(s). */
  base: string | null;
  /** The URL of the first `<meta http-equiv="refresh">` that names one (also in `links`). */
  refresh: string | null;
  /** The page had more links than maxLinks (or more URL text than MAX_PAGE_URL_CHARS): cut there. */
  truncated: boolean;
}

export const DEFAULT_MAX_LINKS = 10_000;
/** A longer URL is dropped: servers refuse request lines past 8 KiB (nginx's default buffer). */
export const MAX_URL_CHARS = 8192;
/** All the URL text kept for one page, so 10,000 long URLs cannot take 80 MB. */
const MAX_PAGE_URL_CHARS = 2 * 1024 * 1024;
/** srcset and style values carry several URLs: the scanner keeps attribute values up to this. */
const MAX_VALUE_BYTES = 64 * 1024;
const MAX_STYLE_BYTES = 1024 * 1024;

/** `<link rel>` keywords that name another page to crawl. */
const FOLLOW_REL = new Set(['alternate', 'next', 'prev', 'canonical']);
/** `<link rel>` keywords whose target the page loads (page requisites). */
const REQUISITE_REL = new Set([
  'stylesheet', 'icon', 'apple-touch-icon', 'apple-touch-icon-precomposed', 'mask-icon',
  'manifest', 'preload', 'modulepreload',
]);

function scannerOptions(requisites: boolean): ScannerOptions {
  const tags = ['a', 'area', 'frame', 'iframe', 'link', 'meta', 'base'];
  const attributes = ['href', 'src', 'rel', 'http-equiv', 'name', 'content'];
  if (requisites) {
    tags.push('img', 'script', 'source', 'video', 'audio', 'track', 'embed', 'object', 'input',
      'body', 'table', 'td', 'th');
    attributes.push('srcset', 'poster', 'data', 'type', 'background', 'style');
  }
  return {
    tags: new Set(tags),
    attributes: new Set(attributes),
    styleAttributes: requisites,
    styleText: requisites,
    maxValueBytes: MAX_VALUE_BYTES,
    maxStyleBytes: MAX_STYLE_BYTES,
  };
}

/** Built once: the scanner reads these for every page. */
export const SCANNER_OPTIONS = { links: scannerOptions(false), requisites: scannerOptions(true) } as const;

function attr(attrs: readonly string[], name: string): string | null {
  for (let k = 0; k < attrs.length; k += 2) if (attrs[k] === name) return attrs[k + 1]!;
  return null;
}

/** rel is a space-separated keyword list, any case. */
const relKeywords = (value: string): string[] => value.toLowerCase().split(/[\t\n\f\r ]+/);
/** The robots meta content is a comma-separated directive list, any case. */

export class LinkCollector implements TagSink {
  private readonly raw = new Set<string>(); // insertion order is document order
  private rawChars = 0;
  private baseRaw: string | null = null;
  private refreshRaw: string | null = null;
  private nofollow = false;
  private truncated = false;

  constructor(private readonly requisites: boolean, private readonly maxLinks: number) {}

  tag(name: string, attrs: readonly string[]): void {
    switch (name) {
      case 'a':
      case 'area':
        this.add(attr(attrs, 'href'));
        break;
      case 'frame':
      case 'iframe':
      case 'script':
      case 'audio':
      case 'track':
      case 'embed':
        this.add(attr(attrs, 'src'));
        break;
      case 'link':
        this.link(attrs);
        break;
      case 'meta':
        this.meta(attrs);
        break;
      case 'base':
        // The first <base> with an href is the document's base; later ones do nothing.
        if (this.baseRaw === null) this.baseRaw = attr(attrs, 'href');
        break;
      case 'img':
      case 'source':
        this.add(attr(attrs, 'src'));
        this.srcset(attr(attrs, 'srcset'));
        break;
      case 'video':
        this.add(attr(attrs, 'poster'));
        this.add(attr(attrs, 'src'));
        break;
      case 'object':
        this.add(attr(attrs, 'data'));
        break;
      case 'input':
        if (attr(attrs, 'type')?.toLowerCase() === 'image') this.add(attr(attrs, 'src'));
        break;
      case 'body':
      case 'table':
      case 'td':
      case 'th':
        this.add(attr(attrs, 'background'));
        break;
    }
    // Present only when requisites are asked for (the scanner reports it then).
    const style = attr(attrs, 'style');
    if (style !== null) this.style(style);
  }

  style(css: string): void {
    for (const url of cssUrlValues(css)) this.add(url);
  }

  private link(attrs: readonly string[]): void {
    const rel = attr(attrs, 'rel');
    if (rel === null) return;
    const kinds = relKeywords(rel);
    if (kinds.some((k) => FOLLOW_REL.has(k)) || (this.requisites && kinds.some((k) => REQUISITE_REL.has(k)))) {
      this.add(attr(attrs, 'href'));
    }
  }

  private meta(attrs: readonly string[]): void {
    const content = attr(attrs, 'content');
    if (content === null) return;
    const equiv = attr(attrs, 'http-equiv');
    if (equiv !== null && equiv.toLowerCase() === 'refresh') {
      const url = refreshUrl(content);
      if (url !== null) {
        this.add(url);
        if (this.refreshRaw === null) this.refreshRaw = url;
      }
    }
    const name = attr(attrs, 'name');
    if (name !== null && name.trim().toLowerCase() === 'robots') {
      if (saysNofollow(robotsDirectives(content))) this.nofollow = true;
    }
  }

  private srcset(value: string | null): void {
    if (value !== null) for (const url of srcsetUrls(value)) this.add(url);
  }

  private add(value: string | null): void {
    if (value === null || value.length > MAX_URL_CHARS || this.raw.has(value)) return;
    if (this.raw.size >= this.maxLinks || this.rawChars + value.length > MAX_PAGE_URL_CHARS) {
      this.truncated = true;
      return;
    }
    this.raw.add(value);
    this.rawChars += value.length;
  }

  /** Resolves what was collected against the page's base. pageUrl: absolute, after redirects. */
  finish(pageUrl: string): PageLinks {
    let base: string | null = null;
    if (this.baseRaw !== null) {
      // Resolved with its fragment: a `#top` link on a page with <base> resolves against it.
      try {
        const b = new URL(this.baseRaw, pageUrl);
        if (b.protocol === 'http:' || b.protocol === 'https:') base = b.href;
      } catch {
        // An unparsable base is ignored, as browsers fall back to the document URL.
      }
    }
    const resolver = new Resolver(base ?? pageUrl);
    return {
      links: resolver.resolveAll(this.raw),
      nofollow: this.nofollow,
      base,
      refresh: this.refreshRaw === null ? null : resolver.resolve(this.refreshRaw),
      truncated: this.truncated,
    };
  }
}
