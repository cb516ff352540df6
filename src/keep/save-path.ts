// Where --save-dir puts a page: `<dir>/<host>[_<port>]/<path>`, like `wget -x`, and never anywhere
// outside `<dir>`.
//
// The mapping, segment by segment (host, each path segment, the file name):
// - path segments are %-decoded (`caf%C3%A9` -> `café`); what cannot be a file name character is
//   written back as %XX: `/` and `\` (from %2F, %5C), NUL and other controls, the characters
//   Windows forbids (`< > : " | ? *`), `%` itself, a leading `.` (no page becomes a hidden file,
//   and `.` / `..` can never be a segment), a trailing space, and bytes that are not UTF-8.
//   Because `%` is always escaped, two different segments never give the same name.
// - an empty segment (`//`) becomes `%`, which no other segment can be;
// - a path ending in `/` gets `index.html`;
// - the query is kept in the file name after `@` (wget's --restrict-file-names=windows form):
//   `/s?q=a/b` -> `s@q=a%2Fb`; a literal `@` in a segment is written %40;
// - a name over 255 bytes keeps its first 200 bytes and gets `~` and 16 hex digits of its SHA-256.
//
// Where a page lands is decided when its body is complete, against what is already in the save
// dir (place(), below; save-dir.ts answers its questions from the disk). A file once written never
// moves, because the record that names it is already out: a page at `/a` and another at `/a/b`
// need `a` as a file and as a directory, so if the page `a` is there first the directory is `a~2`
// (`a~2/b`), and if the directory `a` is there first the page goes into it as `a/index.html`.
// Two different URLs that still meet at one name (http:// and https:// of one host, `/a` and `/a/`)
// are told apart by a `~2`, `~3`, ... before the extension of the later one. Only the same URL
// fetched again (this run or a later one over the same dir) replaces its own file: a file another
// URL was saved to, or one whose URL is not known (not written by sweep), is never overwritten.

import { createHash } from 'node:crypto';
import { decodeOnce, pct } from './percent.js';

const MAX_NAME = 255;
const KEEP_WHEN_SHORTENED = 200;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

// Escaped wherever they appear: separators, Windows-reserved, the escape char, the query mark.
const ALWAYS = new Set([0x2f, 0x5c, 0x3c, 0x3e, 0x3a, 0x22, 0x7c, 0x3f, 0x2a, 0x25, 0x40]);

/** One safe file name from raw bytes (see the rules on top). */
export function safeName(bytes: Buffer): string {
  if (bytes.length === 0) return '%';
  let utf8 = true;
  try {
    UTF8.decode(bytes);
  } catch {
    utf8 = false;
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const last = i === bytes.length - 1;
    if (b < 0x20 || b === 0x7f || ALWAYS.has(b) || (i === 0 && b === 0x2e) || (last && b === 0x20) || (b >= 0x80 && !utf8)) {
      out += pct(b);
      i++;
    } else if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
    } else {
      // A whole UTF-8 sequence, kept as the character it encodes.
      const len = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      out += bytes.toString('utf8', i, i + len);
      i += len;
    }
  }
  return shorten(out);
}

/** Names over 255 bytes: the first 200 bytes (whole characters), `~`, 16 hex of the SHA-256. */
export function shorten(name: string): string {
  if (Buffer.byteLength(name) <= MAX_NAME) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  let keep = Buffer.from(name).subarray(0, KEEP_WHEN_SHORTENED).toString('utf8');
  if (keep.endsWith('\ufffd')) keep = keep.slice(0, -1); // a character cut in half
  return `${keep}~${hash}`;
}

export interface MappedUrl {
  /** The URL the page is known by: absolute, normalized, without fragment. */
  key: string;
  /** Path segments under the save dir: host first, file name last. */
  segments: string[];
}

/** The path of a URL's page under the save dir, or null when the URL is not http(s). */
export function mapUrl(url: string): MappedUrl | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  u.hash = '';
  const host = safeName(Buffer.from(u.hostname + (u.port === '' ? '' : `_${u.port}`), 'utf8'));
  const parts = u.pathname.split('/').slice(1); // pathname always starts with '/'
  const last = parts.pop()!;
  const dirs = parts.map((p) => safeName(decodeOnce(Buffer.from(p, 'utf8'))));
  let file = last === '' ? 'index.html' : safeName(decodeOnce(Buffer.from(last, 'utf8')));
  if (u.search.length > 1) {
    // The query as sent (not decoded: `%26` and `&` mean different things there), made safe.
    file = shorten(`${file}@${safeName(Buffer.from(u.search.slice(1), 'utf8'))}`);
  }
  return { key: u.href, segments: [host, ...dirs, file] };
}

/** `name~n.ext` (the counter goes before the last extension, so the file still opens right). */
export function numbered(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  const at = dot > 0 && name.length - dot <= 8 ? dot : name.length;
  return shorten(`${name.slice(0, at)}~${n}${name.slice(at)}`);
}

/** `name~n` for a directory (an extension means nothing there). */
export function numberedDir(name: string, n: number): string {
  return shorten(`${name}~${n}`);
}

/**
 * What is at a path, as place() needs to know it: nothing (null), a real directory ('dir'), or
 * anything else (a file, a symlink, ...) with the URL key of the page saved there when that is
 * known (owner), else null.
 */
export type Occupant = null | 'dir' | { readonly owner: string | null };

export interface Placement {
  /** The page's path under the save dir, `/`-separated: host first, file name last. */
  readonly rel: string;
  /** A file is there and is to be replaced (it is this URL's own); else the name is free. */
  readonly replace: boolean;
}

/**
 * Where the page of `mapped` goes. A generator, so that it stays a pure function of its answers:
 * it yields each path it needs to know about, is given back that path's Occupant, and returns the
 * Placement. Each directory on the way is the first of `name`, `name~2`, `name~3`, ... that is a
 * directory or free: a file, a symlink or anything else there is passed by, never entered, never
 * moved. The file name is the first of `name`, `name~2.ext`, ... that is free or a file to replace;
 * when `name` itself is a directory, the page goes into it as `index.html` (numbered the same way).
 */
export function* place(mapped: MappedUrl): Generator<string, Placement, Occupant> {
  const { segments } = mapped;
  let parent = '';
  const under = (name: string): string => (parent === '' ? name : `${parent}/${name}`);
  for (const segment of segments.slice(0, -1)) {
    for (let n = 1; ; n++) {
      const rel = under(n === 1 ? segment : numberedDir(segment, n));
      const there = yield rel;
      if (there === null || there === 'dir') {
        parent = rel;
        break;
      }
    }
  }
  let name = segments[segments.length - 1]!;
  let known: Occupant | undefined = yield under(name);
  if (known === 'dir') {
    parent = under(name);
    name = 'index.html';
    known = undefined;
  }
  for (let n = 1; ; n++) {
    const rel = under(n === 1 ? name : numbered(name, n));
    const there = n === 1 && known !== undefined ? known : yield rel;
    if (there === null) return { rel, replace: false };
    // The same URL saved again replaces its own file (as `wget -x` does). Anything else there,
    // another URL's page or a file whose page is not known, is kept: the page takes the next name.
    if (there !== 'dir' && there.owner === mapped.key) return { rel, replace: true };
  }
}
