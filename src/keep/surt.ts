// SURT keys for CDXJ, as pywb computes them: pywb looks a URL up by `surt.surt(url)` (the
// Internet Archive's python `surt`, DefaultIAURLCanonicalizer = Google's then IA's rules), so an
// index it can binary-search must use the same key. Ported rule by rule from that package:
//
//   host: lower case, leading `www`/`www2.`... removed, runs of dots squeezed, outer dots dropped,
//         labels reversed and joined by commas (IPv4 too), `:port` kept unless the scheme default
//   path: %-escapes undone repeatedly, empty and dot segments dropped, then only bytes outside
//         printable ASCII (and space, `#`, `%`) escaped again; lower case; ASP.NET session ids
//         dropped; one trailing slash dropped (except the root)
//   query: the same escaping, jsessionid/phpsessid/sid/aspsessionid/cfid+cftoken dropped, lower
//         case, arguments sorted by (name, value); an empty query disappears
//   user info and fragment: dropped
//
// e.g. `http://www.Example.com/A/b/?y=2&X=1#top` -> `com,example)/a/b?x=1&y=2`. Schemes other than
// http(s) are returned as given. warcio.js's getSurt is simpler (no unescaping, trailing slash
// kept); pywb is the reader that needs an exact match, so its rules win.

import { decodeOnce, pct } from './percent.js';

const SESSION_IN_PATH = [
  /^(.*\/)(\((?:[a-z]\([0-9a-z]{24}\))+\)\/)([^?]+\.aspx.*)$/i,
  /^(.*\/)(\([0-9a-z]{24}\)\/)([^?]+\.aspx.*)$/i,
];
const SESSION_IN_QUERY = [
  /^(.*)(?:jsessionid=[0-9a-zA-Z]{32})(?:&(.*))?$/i,
  /^(.*)(?:phpsessid=[0-9a-zA-Z]{32})(?:&(.*))?$/i,
  /^(.*)(?:sid=[0-9a-zA-Z]{32})(?:&(.*))?$/i,
  /^(.*)(?:ASPSESSIONID[a-zA-Z]{8}=[a-zA-Z]{24})(?:&(.*))?$/i,
  /^(.*)(?:cfid=[^&]+&cftoken=[^&]+)(?:&(.*))?$/i,
];
const UTF8 = new TextDecoder('utf-8');

/** Undoes %-escapes until nothing changes (`%2525` -> `%`), as bytes. */
function unescapeRepeatedly(bytes: Buffer): Buffer {
  for (;;) {
    const once = decodeOnce(bytes);
    if (once === bytes) return bytes;
    bytes = once;
  }
}

/** Escapes control bytes, space, `#`, `%`, DEL and non-ASCII (python's quote with surt's safe set). */
function escapeOnce(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b <= 0x20 || b >= 0x7f || b === 0x23 || b === 0x25 ? pct(b) : String.fromCharCode(b);
  }
  return out;
}

/** Escaped text, unescaped as far as it goes, read as UTF-8 (bad bytes become U+FFFD, as in python). */
function unescaped(text: string): string {
  return UTF8.decode(unescapeRepeatedly(Buffer.from(text, 'utf8')));
}

function normalizePath(path: string): string {
  if (path === '') return '/';
  const kept: string[] = [];
  for (const segment of path.split('/').slice(1)) {
    if (segment === '.') continue;
    if (segment === '..') {
      if (kept.length > 0) kept.pop();
      else kept.push(segment);
    } else kept.push(segment);
  }
  if (kept.length === 0) return '/';
  // Empty segments vanish (`//` -> `/`), except a last one: a trailing slash stays here.
  return '/' + kept.slice(0, -1).filter((s) => s !== '').map((s) => s + '/').join('') + kept.at(-1)!;
}

function stripSessions(text: string, patterns: readonly RegExp[], join: (m: RegExpExecArray) => string): string {
  for (const re of patterns) {
    const m = re.exec(text);
    if (m) text = join(m);
  }
  return text;
}

function sortQuery(query: string): string {
  if (query.length <= 1) return query;
  const args = query.split('&').map((arg) => {
    const eq = arg.indexOf('=');
    return eq < 0 ? { name: arg, value: null as string | null } : { name: arg.slice(0, eq), value: arg.slice(eq + 1) };
  });
  // Python sorts (name,) and (name, value) tuples: by name, then no value before any value.
  args.sort((a, b) => {
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    if (a.value === b.value) return 0;
    if (a.value === null) return -1;
    if (b.value === null) return 1;
    return a.value < b.value ? -1 : 1;
  });
  return args.map((a) => (a.value === null ? a.name : `${a.name}=${a.value}`)).join('&');
}

/** The SURT key pywb uses for `url` (see the rules on top). */
export function surt(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return url;

  let host = escapeOnce(unescaped(u.hostname).toLowerCase().replace(/\.\./g, '.').replace(/^\.+|\.+$/g, ''));
  host = host.replace(/^www\d*\./, '');
  let key = host.split('.').reverse().join(',');
  // WHATWG URL already leaves out the scheme's default port.
  if (u.port !== '') key += ':' + u.port;
  key += ')';

  let path = escapeOnce(normalizePath(unescaped(u.pathname))).toLowerCase();
  path = stripSessions(path, SESSION_IN_PATH, (m) => m[1]! + m[3]!);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  key += path;

  // u.search is '' both for no query and for a lone '?': either way there is none.
  if (u.search.length > 1) {
    let query = escapeOnce(unescaped(u.search.slice(1)));
    query = stripSessions(query, SESSION_IN_QUERY, (m) => m[1]! + (m[2] ?? ''));
    query = sortQuery(query.toLowerCase());
    if (query !== '') key += '?' + query;
  }
  return key;
}
