// Link extraction for one fetched body: stream its decoded bytes in, get its links out.
//
//   const x = new LinkExtractor(finalUrl, { requisites: false });
//   for (const chunk of body) x.write(chunk);   // any chunking; the page is never held whole
//   const { links, nofollow } = x.end();
//
// The rules (what is a link) are in link-rules.ts, the tokenizer in html-scanner.ts; why this
// tokenizer and not htmlparser2 is measured in bench/extract.mjs.

import { HtmlScanner } from './html-scanner.js';
import { DEFAULT_MAX_LINKS, LinkCollector, SCANNER_OPTIONS, type PageLinks } from './link-rules.js';

export type { PageLinks } from './link-rules.js';
export { extractCssUrls } from './css-urls.js';

export interface ExtractOptions {
  /** Also page requisites: images, scripts, style sheets, icons, media, CSS url() (wget -p). */
  requisites: boolean;
  /** At most this many distinct links per page (default 10,000); PageLinks.truncated says so. */
  maxLinks?: number;
}

export class LinkExtractor {
  private readonly pageUrl: string;
  private readonly collector: LinkCollector;
  private readonly scanner: HtmlScanner;
  private done: PageLinks | null = null;

  /** pageUrl: the absolute URL the body came from, after redirects. Throws TypeError if it is not a URL. */
  constructor(pageUrl: string, options: ExtractOptions) {
    this.pageUrl = new URL(pageUrl).href;
    this.collector = new LinkCollector(options.requisites, options.maxLinks ?? DEFAULT_MAX_LINKS);
    this.scanner = new HtmlScanner(this.collector, options.requisites ? SCANNER_OPTIONS.requisites : SCANNER_OPTIONS.links);
  }

  /** Bytes of the decoded body (after Content-Encoding), in any chunking. */
  write(chunk: Buffer): void {
    if (this.done === null) this.scanner.write(chunk);
  }

  /** The page's links; a second call returns the same result. */
  end(): PageLinks {
    if (this.done === null) {
      this.scanner.end();
      this.done = this.collector.finish(this.pageUrl);
    }
    return this.done;
  }
}

/** The media type of a Content-Type value, lower-case, without parameters. */
function mediaType(contentType: string): string {
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** text/html and application/xhtml+xml, with any parameters, in any case. No Content-Type: false. */
export function isHtmlType(contentType: string | null): boolean {
  if (contentType === null) return false;
  const type = mediaType(contentType);
  return type === 'text/html' || type === 'application/xhtml+xml';
}

/** text/css, with any parameters, in any case. */
export function isCssType(contentType: string | null): boolean {
  return contentType !== null && mediaType(contentType) === 'text/css';
}
