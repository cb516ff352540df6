// The frontier's key for a URL: two spellings of one resource give one string.
//
// What the WHATWG URL parser already does (scheme and host lower-case, IDN to punycode, IPv4
// forms, default port dropped, dot segments resolved, empty path -> `/`) is kept; on top of it the
// fragment is dropped and percent-encoding is normalized where RFC 3986 §6.2.2.2 says it is safe:
// hex digits upper-case, and octets of unreserved characters (ALPHA DIGIT - . _ ~) decoded.
// Never decoded: reserved characters (%2F %3F %26 %3D %23 …), `%25` itself, and non-ASCII
// octets, because servers may tell them apart. Path and query stay case-sensitive; query
// parameters keep their order.

const PERCENT = /%([0-9A-Fa-f]{2})/g;

function normalizeOctet(match: string, hex: string): string {
  const code = parseInt(hex, 16);
  const unreserved = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || (code >= 0x30 && code <= 0x39) ||
    code === 0x2d || code === 0x2e || code === 0x5f || code === 0x7e;
  if (unreserved) return String.fromCharCode(code);
  return match === `%${hex.toUpperCase()}` ? match : `%${hex.toUpperCase()}`;
}

/** The normalized absolute http(s) URL, or null for anything else (other schemes, not a URL).
 * Never throws; normalizeUrl(normalizeUrl(x)) === normalizeUrl(x). */
export function normalizeUrl(input: string | URL): string | null {
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch {
    return null;
  }
  return normalizeParsed(url);
}

/** normalizeUrl of a URL already parsed (not copied: it is only read). */
export function normalizeParsed(url: URL): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  let href = url.href;
  const hash = href.indexOf('#'); // only the fragment can hold a `#` in a serialized URL
  if (hash >= 0) href = href.slice(0, hash);
  // Path and query start at the first `/` after `scheme://`: userinfo and host never hold one.
  const pathStart = href.indexOf('/', url.protocol.length + 2);
  if (href.indexOf('%', pathStart) < 0) return href;
  return href.slice(0, pathStart) + href.slice(pathStart).replace(PERCENT, normalizeOctet);
}
