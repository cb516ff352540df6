// The parsers of --scope, --include and --exclude, apart from scope.ts so that the command line
// can check them without loading tldts (the public suffix list) on every start.

import { UsageError } from '../errors.js';

export type ScopeKind = 'origin' | 'host' | 'domain' | 'prefix' | 'any';
export const SCOPE_KINDS: readonly ScopeKind[] = ['origin', 'host', 'domain', 'prefix', 'any'];

export interface ScopeRules {
  kind: ScopeKind;
  include: RegExp[];
  exclude: RegExp[];
}

/** The value of --scope; a UsageError naming the choices otherwise. */
export function parseScopeKind(raw: string): ScopeKind {
  const kind = raw.trim().toLowerCase();
  if ((SCOPE_KINDS as readonly string[]).includes(kind)) return kind as ScopeKind;
  throw new UsageError(`--scope: expected one of ${SCOPE_KINDS.join(', ')}, got ${JSON.stringify(raw)}`);
}

/** One --include or --exclude pattern, compiled once; a UsageError naming the option otherwise. */
export function compileRegex(raw: string, option: '--include' | '--exclude'): RegExp {
  try {
    return new RegExp(raw);
  } catch (err) {
    throw new UsageError(`${option}: not a valid regular expression: ${JSON.stringify(raw)} (${(err as Error).message})`);
  }
}
