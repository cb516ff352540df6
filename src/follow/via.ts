// How a job came to be, for recursive crawls: its depth, the page that linked to it, the seed
// whose scope it inherits, and what kind of fetch it is. Seeds (input lines) are depth 0 with
// no parent; --sitemaps adds robots.txt and sitemap fetches of the seeds' origins, whose URLs
// are admitted at depth 0 too.
//
// The frontier stores a job's parent as one opaque string (frontier/log.ts forbids only tabs and
// newlines), so the kind and the seed travel inside it: `<kind char><parent URL>[ <seed URL>]`.
// Normalized URLs never hold a raw space (the URL parser escapes it), so the space is a safe
// separator; the seed is left out when it is the parent itself (a seed's own links).

export type ViaKind = 'page' | 'robots' | 'sitemap';

export interface Via {
  depth: number;
  /** The URL of the page (or sitemap) where it was first found; null for seeds. */
  parent: string | null;
  /** The seed URL whose scope applies. */
  seed: string;
  kind: ViaKind;
}

const KIND_CHAR: Record<ViaKind, string> = { page: 'p', robots: 'r', sitemap: 's' };
const CHAR_KIND: Record<string, ViaKind> = { p: 'page', r: 'robots', s: 'sitemap' };

/** The frontier's parent field for URLs found on `parent` (crawled from `seed`), of `kind`. */
export function encodeParent(kind: ViaKind, parent: string, seed: string): string {
  return KIND_CHAR[kind] + (parent === seed ? parent : `${parent} ${seed}`);
}

/** The Via of a frontier entry; null when the field is not one encodeParent wrote. */
export function decodeParent(field: string, depth: number): Via | null {
  const kind = CHAR_KIND[field.charAt(0)];
  if (kind === undefined || field.length < 2) return null;
  const rest = field.slice(1);
  const space = rest.indexOf(' ');
  const parent = space < 0 ? rest : rest.slice(0, space);
  const seed = space < 0 ? rest : rest.slice(space + 1);
  return { depth, parent, seed, kind };
}
