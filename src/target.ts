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

const CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#@]*@/i;

/** The URL as the user gave it, with any password replaced by `***` (records and logs never carry it). */
export function redactUrl(raw: string): string {
  return raw.indexOf('@') === -1 ? raw : raw.replace(CREDENTIALS, '$1***@');
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
    const user = decodeURIComponent(url.username);
    const pass = decodeURIComponent(url.password);
    auth = 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');
  }
  return { origin: url.origin, path: url.pathname + url.search, auth };
}
