// Recursive crawls over Redis: `sweep enqueue --depth ...` keeps the follow rules in the queue's
// meta, and each `sweep work` reads them, extracts links with the same page tap as a local crawl,
// and hands a page's in-scope links to Redis together with the page's record (COMPLETE in
// distributed/scripts.ts), where they are deduplicated against every URL the crawl admitted and
// queued, in the same atomic step as the acknowledgement.

import { compileRegex, type ScopeKind } from '../discover/scope-options.js';
import type { TappedTask } from '../exchange.js';
import type { HopPolicy } from '../fetcher.js';
import type { Job } from '../input.js';
import type { FollowConfig } from './options.js';
import type { LinkAdmitter } from './page-observer.js';
import { ScopeCache } from './scope-cache.js';
import { encodeParent, type Via, type ViaKind } from './via.js';

interface FollowJson {
  depth: number;
  scope: ScopeKind;
  include: string[];
  exclude: string[];
  maxPages: number | null;
  requisites: boolean;
}

/** The rules as the queue's meta keeps them. */
export function followToJson(f: FollowConfig): string {
  const json: FollowJson = {
    depth: f.depth,
    scope: f.scope.kind,
    include: f.scope.include.map((re) => re.source),
    exclude: f.scope.exclude.map((re) => re.source),
    maxPages: f.maxPages,
    requisites: f.requisites,
  };
  return JSON.stringify(json);
}

export function followFromJson(text: string): FollowConfig {
  const j = JSON.parse(text) as FollowJson;
  return {
    depth: j.depth,
    scope: { kind: j.scope, include: j.include.map((r) => compileRegex(r, '--include')), exclude: j.exclude.map((r) => compileRegex(r, '--exclude')) },
    maxPages: j.maxPages,
    sitemaps: false,
    requisites: j.requisites,
    stateDir: null,
  };
}

/** A worker's link admitter: the links a page gave wait with its job until its record goes. */
export class RedisLinks implements LinkAdmitter {
  readonly cfg: FollowConfig;
  readonly robots: boolean;
  readonly #scope: ScopeCache;
  readonly #pending = new WeakMap<Job, string>();
  readonly hopPolicy: HopPolicy;
  found = 0;
  handedOver = 0;

  constructor(cfg: FollowConfig, robots: boolean) {
    this.cfg = cfg;
    this.robots = robots;
    this.#scope = new ScopeCache(cfg.scope);
    this.hopPolicy = this.#scope.hopPolicy;
  }

  admit(task: TappedTask, links: readonly string[], via: Via, parent: string, depth: number, kind: ViaKind): null {
    this.found += links.length;
    let blob = `${depth}\t${encodeParent(kind, parent, via.seed)}`;
    const keys = this.#scope.admissible(links, via.seed, kind === 'page');
    const count = keys.length;
    if (count > 0) blob += `\t${keys.join('\t')}`;
    this.handedOver += count;
    // The last exchange of the URL wins, as its record fields do.
    if (count > 0) this.#pending.set(task.job, blob);
    else this.#pending.delete(task.job);
    return null;
  }

  /** The links to hand over with this job's record ('' when none). */
  take(job: Job): string {
    const blob = this.#pending.get(job);
    if (blob === undefined) return '';
    this.#pending.delete(job);
    return blob;
  }

  get outOfScope(): number {
    return this.#scope.outOfScope;
  }

  get redirectsStopped(): number {
    return this.#scope.redirectsStopped;
  }
}
