// Request headers that carry credentials. Given with -H they go only to the origin of the URL as
// given, as curl does since CVE-2018-1000007 (a redirect to another origin would otherwise hand
// a bearer token or a session cookie to whoever the first server points at), unless the user
// opts in with --location-trusted (curl's name for it). Logs redact the same names (logger.ts),
// and WARC request records (keep/http-head.ts) unless --warc-keep-secrets.

/** Lower-case names. */
export const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'proxy-authorization']);

/** The headers minus the secret ones; the same object when there is none to drop. */
export function crossOriginHeaders(headers: Record<string, string>): Record<string, string> {
  if (!Object.keys(headers).some((name) => SECRET_HEADERS.has(name))) return headers;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!SECRET_HEADERS.has(name)) out[name] = value;
  return Object.freeze(out) as Record<string, string>;
}
