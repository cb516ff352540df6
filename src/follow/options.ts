// The options of a recursive crawl (--depth, --scope, --include, --exclude, --max-pages,
// --sitemaps, --requisites, --state-dir), checked at the boundary: a mistake is exit 2 with a
// message naming the option, before anything is fetched.

import { statSync } from 'node:fs';
import type { ScopeKind, ScopeRules } from '../discover/scope-options.js';
import { UsageError } from '../errors.js';

export interface FollowConfig {
  /** Links are followed up to this many hops from a seed (0: none; sitemap URLs are depth 0). */
  readonly depth: number;
  readonly scope: ScopeRules;
  /** No new URL is admitted once this many are (seeds count); null: no limit. */
  readonly maxPages: number | null;
  readonly sitemaps: boolean;
  readonly requisites: boolean;
  /** Where the frontier may spill; null: the output's directory when there is one, else memory. */
  readonly stateDir: string | null;
}

export interface RawFollowOptions {
  depth?: number;
  scope?: ScopeKind;
  include?: RegExp[];
  exclude?: RegExp[];
  maxPages?: number;
  sitemaps?: boolean;
  requisites?: boolean;
  stateDir?: string;
}

/** The follow config, or null when the run only fetches the URLs it is given. */
export function buildFollow(o: RawFollowOptions): FollowConfig | null {
  const depth = o.depth ?? 0;
  const sitemaps = o.sitemaps ?? false;
  if (depth === 0 && !sitemaps) {
    const stray = (
      [
        ['--scope', o.scope],
        ['--include', o.include],
        ['--exclude', o.exclude],
        ['--max-pages', o.maxPages],
        ['--requisites', o.requisites],
        ['--state-dir', o.stateDir],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (stray !== undefined) throw new UsageError(`option ${stray[0]} applies to recursive crawls: add --depth <n> (n >= 1) or --sitemaps`);
    return null;
  }
  if (o.stateDir !== undefined) checkStateDir(o.stateDir);
  return Object.freeze({
    depth,
    scope: { kind: o.scope ?? 'origin', include: o.include ?? [], exclude: o.exclude ?? [] },
    maxPages: o.maxPages ?? null,
    sitemaps,
    requisites: o.requisites ?? false,
    stateDir: o.stateDir ?? null,
  });
}

function checkStateDir(path: string): void {
  try {
    if (statSync(path).isDirectory()) return;
  } catch {
    throw new UsageError(`--state-dir '${path}': no such directory`);
  }
  throw new UsageError(`--state-dir '${path}' is not a directory`);
}
