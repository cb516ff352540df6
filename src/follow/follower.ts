// A recursive crawl on the run core: seeds come from the input as before, every URL found in a
// fetched page (or in a sitemap) that is in scope goes into the frontier, and the pool takes
// from the frontier whenever the input has nothing ready. Three pieces plug into the run:
//   - seeds(jobs):   the input's jobs, each marked depth 0 and claimed in the frontier;
//   - source:        the frontier as the pool's second job source;
//   - tap:           a response observer that extracts links (follow/page-observer.ts);
//   - hopPolicy:     scope on every redirect hop of a discovered URL.
// The frontier's admission log is written before the records that depend on it (flushSync).

import type { FollowConfig } from './options.js';
import { normalizeUrl } from '../discover/normalize.js';
import type { ExchangeTap, TappedTask } from '../exchange.js';
import type { HopPolicy } from '../fetcher.js';
import { Frontier } from '../frontier/index.js';
import type { Job } from '../input.js';
import type { Frontier as PoolFrontier } from '../pool.js';
import { parseTarget, redactUrl } from '../target.js';
import { PageTap, type LinkAdmitter } from './page-observer.js';
import { ScopeCache } from './scope-cache.js';
import { decodeParent, encodeParent, type Via, type ViaKind } from './via.js';

export interface FollowStats {
  depth: number;
  scope: string;
  /** URLs found in pages and sitemaps (with repeats). */
  found: number;
  /** Distinct URLs admitted to the frontier. */
  admitted: number;
  outOfScope: number;
  /** Links not admitted because --max-pages was reached. */
  overLimit: number;
  /** Redirect hops of discovered URLs not followed: out of scope. */
  redirectsStopped: number;
  pending: number;
  frontierBytes: number;
  spilledSegments: number;
  /** --resume: what the admission log held. */
  resumed: { entries: number; pending: number; tornBytes: number } | null;
}

export class Follower implements LinkAdmitter {
  readonly cfg: FollowConfig;
  readonly frontier: Frontier;
  readonly tap: ExchangeTap;
  /** Robots rules apply (--robots): a page's meta robots nofollow is honoured. */
  readonly robots: boolean;
  /** Called when the frontier got new work: the run's pump. */
  onWork: () => void = () => {};
  #found = 0;
  #admitted = 0;
  #overLimit = 0;
  /** Seeds read plus URLs admitted: --max-pages counts both. */
  #pages = 0;
  readonly #scope: ScopeCache;
  readonly #sitemapOrigins = new Set<string>();
  /** The frontier as the pool's second source: one job per admitted URL, when the pool asks. */
  readonly source: PoolFrontier<Job>;

  private constructor(cfg: FollowConfig, frontier: Frontier, robots: boolean) {
    this.cfg = cfg;
    this.frontier = frontier;
    this.robots = robots;
    this.#scope = new ScopeCache(cfg.scope);
    this.hopPolicy = this.#scope.hopPolicy;
    this.tap = new PageTap(this);
    this.source = {
      shift: () => this.#next(),
      get size(): number {
        return frontier.pending;
      },
    };
  }

  /**
   * Opens the frontier. `resumeLog`: FILE.frontier beside --resume's FILE (replayed, minus what
   * `isFinished` says has a final record); `spillDir`: where its queue may spill, or null, and
   * `spillName` the name of its spill directory there (else a temporary one).
   */
  static async open(
    cfg: FollowConfig,
    o: { resumeLog: string | null; spillDir: string | null; spillName?: string | null; isFinished?: (key: string) => boolean; robots: boolean },
  ): Promise<Follower> {
    const frontier = await Frontier.open({
      logPath: o.resumeLog,
      spillDir: o.spillDir,
      spillName: o.spillName ?? null,
      ...(o.isFinished === undefined ? {} : { isFinished: o.isFinished }),
    });
    return new Follower(cfg, frontier, o.robots);
  }

  /** The input's jobs as seeds: depth 0, their own scope, claimed so no page links them again. */
  async *seeds(jobs: AsyncIterable<Job[]>): AsyncGenerator<Job[]> {
    for await (const batch of jobs) {
      for (const job of batch) {
        if (job.target === null) continue;
        const key = normalizeUrl(job.target.origin + job.target.path);
        if (key === null) continue;
        job.via = { depth: 0, parent: null, seed: key, kind: 'page' };
        this.frontier.claim(key);
        this.#pages++;
        if (this.cfg.sitemaps) this.#sitemapsOf(key);
      }
      yield batch;
    }
  }

  #next(): Job | undefined {
    const entry = this.frontier.next();
    if (entry === undefined) return undefined;
    const via = decodeParent(entry.parent ?? '', entry.depth) ?? { depth: entry.depth, parent: entry.parent, seed: entry.url, kind: 'page' as ViaKind };
    const target = parseTarget(entry.url);
    return typeof target === 'string'
      ? { line: 0, url: redactUrl(entry.url), target: null, invalid: target, via }
      : { line: 0, url: redactUrl(entry.url), target, invalid: null, via };
  }

  /** Scope on redirect hops of found URLs (scope-cache.ts). */
  readonly hopPolicy: HopPolicy;

  /**
   * Admits what one page (or sitemap) yielded, at `depth`, as `kind`, found on `parent` (its URL
   * after redirects) while crawling from `seed`. Returns how many were new.
   */
  admit(_task: TappedTask, links: readonly string[], via: Via, parent: string, depth: number, kind: ViaKind): number {
    return this.#admitLinks(links, via, parent, depth, kind);
  }

  #admitLinks(links: readonly string[], via: Via, parent: string, depth: number, kind: ViaKind): number {
    this.#found += links.length;
    const accepted = this.#scope.admissible(links, via.seed, kind === 'page');
    const field = encodeParent(kind, parent, via.seed);
    const max = this.cfg.maxPages;
    let fresh = 0;
    if (max === null) fresh = this.frontier.admit(field, depth, accepted);
    else {
      // In slices no longer than the room left: a slice adds at most its length, so exactly
      // --max-pages distinct URLs get in, and the limit is reached only at a slice's end.
      for (let i = 0; i < accepted.length; ) {
        const room = max - this.#pages - fresh;
        if (room <= 0) {
          this.#overLimit += accepted.length - i;
          break;
        }
        const slice = i === 0 && room >= accepted.length ? accepted : accepted.slice(i, i + room);
        fresh += this.frontier.admit(field, depth, slice);
        i += slice.length;
      }
    }
    this.#pages += fresh;
    this.#admitted += fresh;
    if (fresh > 0) this.onWork();
    return fresh;
  }

  /** --sitemaps: the first seed of an origin brings its robots.txt, which names the sitemaps. */
  #sitemapsOf(seed: string): void {
    const origin = new URL(seed).origin;
    if (this.#sitemapOrigins.has(origin)) return;
    this.#sitemapOrigins.add(origin);
    const via: Via = { depth: 0, parent: null, seed, kind: 'page' };
    // robots.txt is fetched as a job of its own (kind robots): its Sitemap lines, or /sitemap.xml.
    this.#admitLinks([`${origin}/robots.txt`], via, seed, 0, 'robots');
  }

  /** Writes the admission log (before a batch of records: they may depend on it). */
  flushSync(): void {
    this.frontier.flushSync();
  }

  close(): void {
    this.frontier.close();
  }

  stats(): FollowStats {
    const r = this.frontier.replayed;
    return {
      depth: this.cfg.depth,
      scope: this.cfg.scope.kind,
      found: this.#found,
      admitted: this.#admitted,
      outOfScope: this.#scope.outOfScope,
      overLimit: this.#overLimit,
      redirectsStopped: this.#scope.redirectsStopped,
      pending: this.frontier.pending,
      frontierBytes: this.frontier.memoryBytes,
      spilledSegments: this.frontier.spilledSegments,
      resumed: r === null ? null : { entries: r.entries, pending: r.pending, tornBytes: r.tornBytes },
    };
  }
}
