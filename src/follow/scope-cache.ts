// Scope tests by seed, built once per seed and kept in a bounded cache: a crawl meets the same
// few seeds for most of its found URLs. Shared by the local frontier and the Redis worker.

import { MAX_URL_CHARS } from '../discover/link-rules.js';
import { normalizeParsed } from '../discover/normalize.js';
import { seedScope, type ScopeRules } from '../discover/scope.js';
import { HopStop, type HopPolicy } from '../fetcher.js';

const SCOPE_CACHE_MAX = 4096;

export class ScopeCache {
  readonly #rules: ScopeRules;
  readonly #scopes = new Map<string, (url: URL) => boolean>();
  /** Redirect hops of found URLs not followed: out of scope. */
  redirectsStopped = 0;
  /** Found URLs left out: out of the seed's scope. */
  outOfScope = 0;

  constructor(rules: ScopeRules) {
    this.#rules = rules;
  }

  inScope(seed: string, url: URL): boolean {
    let test = this.#scopes.get(seed);
    if (test === undefined) {
      test = seedScope(this.#rules, new URL(seed));
      if (this.#scopes.size >= SCOPE_CACHE_MAX) this.#scopes.clear();
      this.#scopes.set(seed, test);
    }
    return test(url);
  }

  /**
   * The frontier keys of the links a page gave: normalized, http(s) only, no longer than an HTML
   * link may be (8 KiB: a CSS url() or a sitemap <loc> has no cap of its own, and the frontier
   * log's reader refuses a line over 4 MiB) and, when `scoped`, in the scope of `seed` (sitemap
   * files are followed wherever robots.txt points).
   */
  admissible(links: readonly string[], seed: string, scoped: boolean): string[] {
    const keys: string[] = [];
    for (const link of links) {
      const parsed = keyed(link);
      if (parsed === null || parsed.key.length > MAX_URL_CHARS) continue;
      if (scoped && !this.inScope(seed, parsed.url)) {
        this.outOfScope++;
        continue;
      }
      keys.push(parsed.key);
    }
    return keys;
  }

  /** Scope on redirect hops of found URLs: a hop out of scope ends the URL at its 3xx. Seeds go where they go. */
  readonly hopPolicy: HopPolicy = (job, next) => {
    const via = job.via;
    if (via === undefined || (via.parent === null && via.kind === 'page')) return null;
    const parsed = keyed(next.origin + next.path);
    if (parsed !== null && this.inScope(via.seed, parsed.url)) return null;
    this.redirectsStopped++;
    return new HopStop('out_of_scope');
  };
}

/**
 * A URL's frontier key (normalize.ts) and the parsed key that scope tests read, or null for what
 * has none. One parse, not two: when the key is the parsed URL's href (the usual case: links come
 * serialized by the parser, without a fragment), that URL is what parsing the key would give.
 */
function keyed(link: string): { key: string; url: URL } | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  const key = normalizeParsed(url);
  if (key === null) return null;
  return { key, url: key === url.href ? url : new URL(key) };
}
