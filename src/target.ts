// Turns one trimmed input line into what the fetcher dispatches, or says why it cannot.
// Done once per line at the input boundary so the hot path only sees validated targets.

export interface Target {
  /** scheme://host[:port], punycoded, as undici's `origin` wants it. */
  origin: string;
  /** pathname + search; the fragment never goes on the wire. */
  path: string;
  /** `Basic …` header value when the URL carries credentials, else null. */
  auth: string | null;
}

export const MAX_URL_LENGTH = 65536;

const SCHEME = /^[a-z][a-z0-9+.-]*:/i;
const AUTHORITY_ENDS = new Set(['/', '\\', '?', '#']);

/**
 * The URL as the user gave it, its credentials hidden (records and logs never carry them): the
 * password replaced by `***`, or a user name given alone, often a token, replaced by `***`.
 * The userinfo is found where the WHATWG parser (which sends it) finds it: after the scheme and
 * any run of `/` or `\`, up to the last `@` before the first `/`, `\`, `?` or `#`; so
 * `http://a:p@ss@h/`, `http://u@v:p@h/`, `http:/u:p@h/` and `http:\\u:p@h/` are all covered.
 * `complete` false: `raw` is the head of a longer line, whose authority may go on past its end;
 * an authority that reaches the end is then hidden whole.
 */
export function redactUrl(raw: string, complete = true): string {
  if (raw.indexOf('@') === -1 && complete) return raw;
  const scheme = SCHEME.exec(raw);
  if (scheme === null) return raw;
  let start = scheme[0].length;
  while (raw[start] === '/' || raw[start] === '\\') start++;
  let end = start;
  while (end < raw.length && !AUTHORITY_ENDS.has(raw[end]!)) end++;
  if (!complete && end === raw.length) return raw.slice(0, start) + '***';
  const at = raw.lastIndexOf('@', end - 1);
  if (at < start) return raw;
  const colon = raw.indexOf(':', start);
  const shown = colon !== -1 && colon < at ? raw.slice(start, colon + 1) + '***' : '***';
  return raw.slice(0, start) + shown + raw.slice(at);
}

/** Parses an absolute http(s) URL; returns an error message string when it is not one. */
export function parseTarget(raw: string): Target | string {
  if (raw.length > MAX_URL_LENGTH) return `URL longer than ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
  return fromUrl(url);
}

export function fromUrl(url: URL): Target | string {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `unsupported scheme ${url.protocol} (only http: and https:)`;
  }
  if (!url.hostname) return 'URL has no host';
  let auth: string | null = null;
  if (url.username || url.password) {
    const user = percentDecode(url.username);
    const pass = percentDecode(url.password);
    auth = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  }
  return { origin: url.origin, path: url.pathname + url.search, auth };
}

/**
 * The bytes a user name or password stands for: %XX sequences decoded, as curl does. One that is
 * not valid (`%`, `%zz`, bytes that are not UTF-8) is kept as written rather than failing the
 * line: decodeURIComponent throws there, and a single such line used to end the whole run.
 */
function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s.replace(/(%[0-9a-f]{2})+/gi, (run) => {
      const bytes = Buffer.from(run.replace(/%/g, ''), 'hex');
      const text = bytes.toString('utf8');
      return Buffer.from(text, 'utf8').equals(bytes) ? text : run;
    });
  }
}
