// Robots directives for one page: `<meta name="robots" content="...">` (link-rules.ts) and its
// HTTP twin, the X-Robots-Tag response header (Google's and Bing's convention, which many sites
// use for pages and files that have no <head>). With --robots, a page that says `nofollow` (or
// `none`) either way gives no links. Like the meta tag, only directives for every crawler count:
// a header value that names a crawler first (`googlebot: nofollow`) is for that crawler alone.

/** Directives written with a value after a colon: the word before that colon names no crawler. */
const VALUED = new Set(['unavailable_after', 'max-snippet', 'max-image-preview', 'max-video-preview']);

const HEADER = 'x-robots-tag';

/** The comma-separated directives of a robots meta tag's content or an X-Robots-Tag value, lower-cased. */
export function robotsDirectives(value: string): string[] {
  return value.split(',').map((d) => d.trim().toLowerCase());
}

export function saysNofollow(directives: readonly string[]): boolean {
  return directives.includes('nofollow') || directives.includes('none');
}

/** True when an X-Robots-Tag header of undici's raw list ([name, value, ...]) says nofollow or none to every crawler. */
export function headerSaysNofollow(raw: readonly (Buffer | string)[]): boolean {
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length !== HEADER.length || name.toString().toLowerCase() !== HEADER) continue;
    const value = raw[i + 1]!.toString();
    const named = /^\s*([A-Za-z0-9_.-]+)\s*:/.exec(value);
    if (named !== null && !VALUED.has(named[1]!.toLowerCase())) continue; // one crawler's
    if (saysNofollow(robotsDirectives(value))) return true;
  }
  return false;
}
