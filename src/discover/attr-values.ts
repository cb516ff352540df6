// Attribute values that hold URLs inside a small grammar of their own: srcset, meta refresh.

import { isSpace } from './chars.js';

/**
 * The URLs of a srcset attribute (`a.png 1x, b.png 2x`), by the HTML "parse a srcset attribute"
 * steps: candidates are split at commas outside parentheses, and a URL that ends in commas
 * (`a.png,b.png`) ends its candidate there. Descriptors are skipped, not checked.
 */
export function srcsetUrls(value: string): string[] {
  const out: string[] = [];
  const n = value.length;
  let i = 0;
  while (i < n) {
    while (i < n && (isSpace(value.charCodeAt(i)) || value.charCodeAt(i) === 0x2c)) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(value.charCodeAt(i))) i++;
    let end = i;
    if (value.charCodeAt(end - 1) === 0x2c) {
      while (end > start && value.charCodeAt(end - 1) === 0x2c) end--;
    } else {
      let inParens = false;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c === 0x28) inParens = true;
        else if (c === 0x29) inParens = false;
        else if (c === 0x2c && !inParens) { i++; break; }
      }
    }
    if (end > start) out.push(value.slice(start, end));
  }
  return out;
}

/**
 * The URL of a `<meta http-equiv="refresh" content="…">`, by the HTML "shared declarative refresh
 * steps": a time (digits and dots), then `;` or `,` or a space, then either `url=` (any case,
 * spaces around `=`) and the URL, optionally in quotes (cut at the closing quote), or the URL
 * itself. Returns null when the content is not a refresh or names no URL (a refresh of the page
 * itself).
 */
export function refreshUrl(content: string): string | null {
  const n = content.length;
  const at = (k: number): number => (k < n ? content.charCodeAt(k) : -1);
  const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
  let i = 0;
  while (isSpace(at(i))) i++;
  if (!isDigit(at(i)) && at(i) !== 0x2e) return null;
  while (isDigit(at(i)) || at(i) === 0x2e) i++;
  if (i >= n) return null;
  if (at(i) !== 0x3b && at(i) !== 0x2c && !isSpace(at(i))) return null;
  while (isSpace(at(i))) i++;
  if (at(i) === 0x3b || at(i) === 0x2c) i++;
  while (isSpace(at(i))) i++;
  if (i >= n) return null;
  const rest = content.slice(i);
  // `url=`: only when all of it is there is it skipped; `ur/x` is the URL `ur/x`.
  if ((at(i) | 0x20) === 0x75) {
    if ((at(i + 1) | 0x20) !== 0x72 || (at(i + 2) | 0x20) !== 0x6c) return rest;
    i += 3;
    while (isSpace(at(i))) i++;
    if (at(i) !== 0x3d) return rest;
    i++;
    while (isSpace(at(i))) i++;
  }
  const q = at(i);
  if (q !== 0x22 && q !== 0x27) return content.slice(i);
  const close = content.indexOf(content[i]!, i + 1);
  return content.slice(i + 1, close < 0 ? n : close);
}
