// URLs in CSS: `url(…)` in its three forms and `@import "…"`, read the way the CSS Syntax
// tokenizer reads them (comments skipped, strings and escapes decoded), without a full parser.
// A `url(` inside a string or a comment is not a URL; `myurl(` is not `url(`.

import { resolveAll } from './resolve.js';
import { isSpace } from './chars.js';

const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
/** Characters that continue a CSS identifier (so `url(` right after one is not a url token). */
const isNameChar = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x5c || c >= 0x80;

interface Read { value: string; end: number }

/** A CSS escape at css[i] === '\\': returns the character(s) and the index after the escape. */
function readEscape(css: string, i: number): Read {
  const n = css.length;
  let j = i + 1;
  if (j >= n) return { value: '', end: j };
  if (!isHex(css.charCodeAt(j))) return { value: css[j]!, end: j + 1 };
  const start = j;
  while (j < n && j - start < 6 && isHex(css.charCodeAt(j))) j++;
  const cp = parseInt(css.slice(start, j), 16);
  if (j < n && isSpace(css.charCodeAt(j))) j++; // one whitespace after a hex escape belongs to it
  const ok = cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
  return { value: String.fromCodePoint(ok ? cp : 0xfffd), end: j };
}

/** A string token from the quote at css[i]; value null for a bad string (an unescaped newline). */
function readString(css: string, i: number): { value: string | null; end: number } {
  const quote = css.charCodeAt(i);
  const n = css.length;
  let out = '';
  let j = i + 1;
  while (j < n) {
    const c = css.charCodeAt(j);
    if (c === quote) return { value: out, end: j + 1 };
    if (c === 0x0a || c === 0x0d || c === 0x0c) return { value: null, end: j };
    if (c === 0x5c) {
      const next = css.charCodeAt(j + 1);
      if (next === 0x0a || next === 0x0c) { j += 2; continue; } // an escaped newline continues the line
      if (next === 0x0d) { j += css.charCodeAt(j + 2) === 0x0a ? 3 : 2; continue; }
      const e = readEscape(css, j);
      out += e.value;
      j = e.end;
      continue;
    }
    out += css[j];
    j++;
  }
  return { value: out, end: n }; // a string cut off by the end of the sheet still counts
}

/** After `url(` at css[i]: the argument (quoted or not) and the index after `)`. */
function readUrl(css: string, i: number): { value: string | null; end: number } {
  const n = css.length;
  let j = i;
  while (j < n && isSpace(css.charCodeAt(j))) j++;
  const c = css.charCodeAt(j);
  if (c === 0x22 || c === 0x27) {
    const s = readString(css, j);
    j = s.end;
    while (j < n && isSpace(css.charCodeAt(j))) j++;
    if (css.charCodeAt(j) !== 0x29) return { value: null, end: j }; // `url("a" x)`: not a URL
    return { value: s.value, end: j + 1 };
  }
  let out = '';
  while (j < n) {
    const d = css.charCodeAt(j);
    if (d === 0x29) return { value: out, end: j + 1 };
    if (isSpace(d)) {
      while (j < n && isSpace(css.charCodeAt(j))) j++;
      if (j >= n || css.charCodeAt(j) === 0x29) return { value: out, end: j + 1 };
      break;
    }
    if (d === 0x22 || d === 0x27 || d === 0x28) break; // a bad url token
    if (d === 0x5c) {
      const e = readEscape(css, j);
      out += e.value;
      j = e.end;
      continue;
    }
    out += css[j];
    j++;
  }
  if (j >= n) return { value: out, end: n };
  // A bad url: skip to its `)` and yield nothing.
  const close = css.indexOf(')', j);
  return { value: null, end: close < 0 ? n : close + 1 };
}

/** The raw URL values of a style sheet (or a style attribute), in order, not resolved. */
export function cssUrlValues(css: string): string[] {
  const out: string[] = [];
  const n = css.length;
  let importPending = false; // the last token was `@import`: its string is a URL
  let i = 0;
  while (i < n) {
    const c = css.charCodeAt(i);
    if (c === 0x2f && css.charCodeAt(i + 1) === 0x2a) {
      const close = css.indexOf('*/', i + 2);
      i = close < 0 ? n : close + 2;
      continue;
    }
    if (isSpace(c)) { i++; continue; }
    if (c === 0x22 || c === 0x27) {
      const s = readString(css, i);
      if (importPending && s.value) out.push(s.value);
      importPending = false;
      i = s.end;
      continue;
    }
    importPending = false;
    if (c === 0x5c) { i = readEscape(css, i).end; continue; }
    if (c === 0x40 && css.slice(i + 1, i + 7).toLowerCase() === 'import' && !isNameChar(css.charCodeAt(i + 7))) {
      importPending = true;
      i += 7;
      continue;
    }
    if ((c | 0x20) === 0x75 && (i === 0 || !isNameChar(css.charCodeAt(i - 1))) && css.slice(i, i + 4).toLowerCase() === 'url(') {
      const u = readUrl(css, i + 4);
      if (u.value) out.push(u.value); // `url()` and `url("")` load nothing
      i = u.end;
      continue;
    }
    i++;
  }
  return out;
}

/** The absolute http(s) URLs of a style sheet, resolved against baseUrl: unique, in order, no fragment. */
export function extractCssUrls(css: string, baseUrl: string): string[] {
  return resolveAll(cssUrlValues(css), baseUrl);
}
