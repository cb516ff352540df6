// --scope, --include, --exclude: which discovered URLs a crawl admits, decided per seed.
//
//   origin  same scheme, host and port as the seed (the default)
//   host    same host name, any scheme or port
//   domain  same registrable domain (public-suffix aware, private suffixes such as github.io
//           included, as browsers draw "site"); an IP address or a name without one
//           (localhost, intranet): same host
//   prefix  same origin, and the path under the seed's directory (wget --no-parent)
//   any     everything
// Then --include (at least one must match, when given) and --exclude (none may match; exclude
// wins), JavaScript regular expressions searched in the absolute URL.

import { createRequire } from 'node:module';
import type * as Tldts from 'tldts';
import type { ScopeKind, ScopeRules } from './scope-options.js';

export { compileRegex, parseScopeKind, SCOPE_KINDS, type ScopeKind, type ScopeRules } from './scope-options.js';

// Registrable domains by host name. tldts walks the suffix trie per call (measured in
// bench/scope.mjs); a crawl meets few hosts many times, so a bounded cache answers most calls.
const DOMAIN_CACHE_MAX = 10_000;
const domains = new Map<string, string>();
// tldts (the public suffix list) is loaded at the first use, by require: only --scope domain
// needs it, and `import` of it cost 51-66 ms of every recursive crawl's start (require: 13-15).
let getDomain: typeof Tldts.getDomain | null = null;

/** The registrable domain of a host name, or the host name itself when it has none. */
export function siteOf(hostname: string): string {
  let site = domains.get(hostname);
  if (site === undefined) {
    getDomain ??= (createRequire(import.meta.url)('tldts') as typeof Tldts).getDomain;
    site = getDomain(hostname, { allowPrivateDomains: true }) ?? hostname;
    if (domains.size >= DOMAIN_CACHE_MAX) domains.clear(); // crude but bounded; refills in one pass
    domains.set(hostname, site);
  }
  return site;
}

/** The directory of a path: up to and including its last `/` (`/a/b/c.html` -> `/a/b/`). */
export function directoryOf(pathname: string): string {
  return pathname.slice(0, pathname.lastIndexOf('/') + 1) || '/';
}

/** The admission test for URLs discovered from `seed` (URLs as parsed, ideally normalized). */
export function seedScope(rules: ScopeRules, seed: URL): (url: URL) => boolean {
  const inKind = kindTest(rules.kind, seed);
  const { include, exclude } = rules;
  if (include.length === 0 && exclude.length === 0) return inKind;
  return (url) => {
    if (!inKind(url)) return false;
    const href = url.href;
    if (include.length > 0 && !include.some((re) => re.test(href))) return false;
    return !exclude.some((re) => re.test(href));
  };
}

function kindTest(kind: ScopeKind, seed: URL): (url: URL) => boolean {
  const { protocol, host, hostname } = seed;
  switch (kind) {
    case 'origin':
      return (url) => url.host === host && url.protocol === protocol;
    case 'host':
      return (url) => url.hostname === hostname;
    case 'domain': {
      const site = siteOf(hostname);
      return (url) => url.hostname === hostname || siteOf(url.hostname) === site;
    }
    case 'prefix': {
      const dir = directoryOf(seed.pathname);
      return (url) => url.host === host && url.protocol === protocol && url.pathname.startsWith(dir);
    }
    case 'any':
      return () => true;
  }
}
