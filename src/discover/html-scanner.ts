// A streaming HTML tokenizer that only reports the start tags a link extractor cares about.
//
// It follows the WHATWG tokenizer states that decide where a tag can start (comments with their
// `<!-->` and `--!>` oddities, bogus comments, raw-text and RCDATA elements, the script-data escape
// states, plaintext) and skips everything else with indexOf. Checked against parse5's tokenizer
// (the reference implementation) by a property test. Why not htmlparser2: its tokenizer gets
// `<!-->`, `--!>`, `<script/>`, `</script/>` and the raw-text elements iframe/noembed/noframes
// wrong (fixtures comments, raw-text, frameset), and is slower; figures in bench/extract.mjs.
//
// Bytes are scanned as they come: every state resumes at any chunk boundary. Only the raw-text
// states look ahead (at most `</noframes` + 1 byte), and they carry those few bytes to the next
// chunk. Attribute values are kept only for reported tags and attributes, up to maxValueBytes.
//
// Each chunk is scanned as a latin1 string (one char per byte, made by one memcpy): V8's own
// String#indexOf and charCodeAt run inside the JIT, where a Buffer#indexOf is a call into C++
// per tag (the string view took a profiling run from 2,290 to 4,350 pages/s). Values are
// decoded as UTF-8 from the bytes.
//
// Not modelled (a crawler needs no tree): foreign content (CDATA sections and `<style>` inside
// <svg> are read as in HTML), and the tree builder's insertion modes.

import { decodeHTMLAttribute } from 'entities/decode';
import { isSpace } from './chars.js';

export interface TagSink {
  /** A reported start tag: name and attribute names lower-case, values decoded, first duplicate
   * kept. `attrs` is [name, value, name, value, ...] and is reused after the call returns. */
  tag(name: string, attrs: readonly string[]): void;
  /** The text of a `<style>` element, when styleText is set (cut at maxStyleBytes). */
  style(css: string): void;
}

export interface ScannerOptions {
  /** Lower-case names of the start tags to report. */
  tags: ReadonlySet<string>;
  /** Lower-case names of the attributes to report on those tags. */
  attributes: ReadonlySet<string>;
  /** Report every other start tag that carries a style attribute, with that attribute only. */
  styleAttributes: boolean;
  /** Report the text of `<style>` elements. */
  styleText: boolean;
  /** A longer attribute value is dropped, as if the attribute were absent. */
  maxValueBytes: number;
  /** A longer `<style>` text is cut here. */
  maxStyleBytes: number;
}

// Tokenizer states. Numbers, not strings: the switch below is the hot loop.
const TEXT = 0, TAG_OPEN = 1, END_TAG_OPEN = 2, TAG_NAME = 3, BEFORE_ATTR_NAME = 4,
  ATTR_NAME = 5, AFTER_ATTR_NAME = 6, BEFORE_ATTR_VALUE = 7, VALUE_DQ = 8, VALUE_SQ = 9,
  VALUE_UQ = 10, AFTER_VALUE_QUOTED = 11, SELF_CLOSING = 12, MARKUP_OPEN = 13, MARKUP_DASH = 14,
  COMMENT_START = 15, COMMENT_START_DASH = 16, COMMENT = 17, COMMENT_END_DASH = 18,
  COMMENT_END = 19, COMMENT_END_BANG = 20, BOGUS_COMMENT = 21, RAWTEXT = 22, SCRIPT = 23,
  SCRIPT_ESCAPED = 24, SCRIPT_DOUBLE_ESCAPED = 25, PLAINTEXT = 26;

/** What happens to an attribute being read: dropped, or kept for the sink. */
const SKIP = 0, KEEP = 1;
/** Which attributes of the current tag are wanted. */
const WANT_NONE = 0, WANT_LISTED = 1, WANT_STYLE = 2;

const MAX_NAME = 24; // longer tag or attribute names are never wanted; they are still tokenized

// Elements whose content is text up to their own end tag (HTML: raw text and RCDATA, and
// noscript is NOT among them: sweep runs no scripts, so noscript content is markup, as in a
// browser with scripting disabled).
const RAW_TEXT = ['style', 'xmp', 'iframe', 'noembed', 'noframes', 'title', 'textarea'];

/** Per tag name, in one lookup: is it reported (REPORT), and which state its content starts in. */
const REPORT = 0x100;
const CONTENT_MASK = 0xff;
const tagTables = new WeakMap<ScannerOptions, Map<string, number>>();
function tagTable(opt: ScannerOptions): Map<string, number> {
  let table = tagTables.get(opt);
  if (table === undefined) {
    table = new Map();
    for (const name of RAW_TEXT) table.set(name, RAWTEXT);
    table.set('script', SCRIPT);
    table.set('plaintext', PLAINTEXT);
    for (const name of opt.tags) table.set(name, (table.get(name) ?? TEXT) | REPORT);
    tagTables.set(opt, table);
  }
  return table;
}

const isAlpha = (c: number): boolean => ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

const NON_ASCII = /[^\x00-\x7f]/;

export class HtmlScanner {
  private state = TEXT;
  private carry: Buffer | null = null;
  // The tag being read.
  private isEndTag = false;
  private nameBytes = '';
  private nameUpper = false; // nameBytes holds an upper-case ASCII letter (toLowerCase is not free)
  private tagName = '';
  private want = WANT_NONE;
  private content = TEXT; // the state the current start tag's content starts in
  private attrs: string[] = [];
  private attrName = '';
  private attrMode = SKIP;
  private attrPending = false; // a name was read, its value not yet
  private valueParts: Buffer[] = [];
  private valueBytes = 0;
  private valueStart = -1;
  // The raw-text element being read.
  private rawName = '';
  private styleParts: Buffer[] | null = null;
  private styleBytes = 0;

  private readonly table: Map<string, number>;

  constructor(private readonly sink: TagSink, private readonly opt: ScannerOptions) {
    this.table = tagTable(opt);
  }

  write(chunk: Buffer): void {
    let buf = chunk;
    if (this.carry !== null) {
      buf = Buffer.concat([this.carry, chunk]);
      this.carry = null;
    }
    this.run(buf, buf.toString('latin1'));
  }

  /** End of input: a tag cut off by the end of the body is dropped, as browsers do. */
  end(): void {
    if (this.carry !== null && this.styleParts !== null) this.keepStyle(this.carry, 0, this.carry.length);
    this.carry = null;
    if (this.styleParts !== null) this.flushStyle();
    this.state = PLAINTEXT;
  }

  /** buf: the bytes; s: the same bytes as a latin1 string, s.charCodeAt(i) === buf[i]. */
  private run(buf: Buffer, s: string): void {
    const len = buf.length;
    let i = 0;
    let state = this.state;
    while (i < len) {
      switch (state) {
        case TEXT: {
          const lt = s.indexOf('<', i);
          if (lt < 0) { i = len; break; }
          i = lt + 1;
          state = TAG_OPEN;
          break;
        }
        case TAG_OPEN: {
          const c = s.charCodeAt(i);
          if (isAlpha(c)) { this.beginTag(false); state = TAG_NAME; }
          else if (c === 0x2f) { i++; state = END_TAG_OPEN; }
          else if (c === 0x21) { i++; state = MARKUP_OPEN; }
          else if (c === 0x3f) { state = BOGUS_COMMENT; }
          else state = TEXT;
          break;
        }
        case END_TAG_OPEN: {
          const c = s.charCodeAt(i);
          if (isAlpha(c)) { this.beginTag(true); state = TAG_NAME; }
          else if (c === 0x3e) { i++; state = TEXT; }
          else state = BOGUS_COMMENT;
          break;
        }
        case TAG_NAME: {
          let j = i;
          while (j < len) {
            const c = s.charCodeAt(j);
            if (c === 0x3e || c === 0x2f || isSpace(c)) break;
            if (c >= 0x41 && c <= 0x5a) this.nameUpper = true;
            j++;
          }
          if (!this.isEndTag && this.nameBytes.length < MAX_NAME) this.nameBytes += s.slice(i, Math.min(j, i + MAX_NAME));
          i = j;
          if (j < len) { this.endTagName(); state = BEFORE_ATTR_NAME; }
          break;
        }
        case BEFORE_ATTR_NAME: {
          const c = s.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 0x2f) { i++; state = SELF_CLOSING; }
          else if (c === 0x3e) { i++; state = this.emitTag(); }
          else {
            // A new attribute; a leading `=` belongs to its name (`<a =x>`).
            this.beginAttr();
            if (c === 0x3d) { this.nameBytes = '='; i++; }
            state = ATTR_NAME;
          }
          break;
        }
        case ATTR_NAME: {
          let j = i;
          while (j < len) {
            const c = s.charCodeAt(j);
            if (c === 0x3d || c === 0x3e || c === 0x2f || isSpace(c)) break;
            if (c >= 0x41 && c <= 0x5a) this.nameUpper = true;
            j++;
          }
          if (this.want !== WANT_NONE && this.nameBytes.length < MAX_NAME) {
            this.nameBytes += s.slice(i, Math.min(j, i + MAX_NAME));
          }
          i = j;
          if (j < len) {
            this.endAttrName();
            if (s.charCodeAt(j) === 0x3d) { i++; state = BEFORE_ATTR_VALUE; } else state = AFTER_ATTR_NAME;
          }
          break;
        }
        case AFTER_ATTR_NAME: {
          const c = s.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 0x3d) { i++; state = BEFORE_ATTR_VALUE; }
          else { this.commitEmpty(); state = BEFORE_ATTR_NAME; }
          break;
        }
        case BEFORE_ATTR_VALUE: {
          const c = s.charCodeAt(i);
          if (isSpace(c)) i++;
          else if (c === 0x22) { i++; this.valueStart = i; state = VALUE_DQ; }
          else if (c === 0x27) { i++; this.valueStart = i; state = VALUE_SQ; }
          else if (c === 0x3e) { this.commitValue(buf, s, i, i); i++; state = this.emitTag(); }
          else { this.valueStart = i; state = VALUE_UQ; }
          break;
        }
        case VALUE_DQ:
        case VALUE_SQ: {
          const q = s.indexOf(state === VALUE_DQ ? '"' : "'", i);
          if (q < 0) { i = len; break; } // the value goes on in the next chunk
          this.commitValue(buf, s, this.valueStart, q);
          i = q + 1;
          state = AFTER_VALUE_QUOTED;
          break;
        }
        case VALUE_UQ: {
          let j = i;
          while (j < len) {
            const c = s.charCodeAt(j);
            if (c === 0x3e || isSpace(c)) break;
            j++;
          }
          if (j === len) { i = len; break; }
          this.commitValue(buf, s, this.valueStart, j);
          i = j;
          state = BEFORE_ATTR_NAME;
          break;
        }
        case AFTER_VALUE_QUOTED: {
          const c = s.charCodeAt(i);
          if (isSpace(c)) { i++; state = BEFORE_ATTR_NAME; }
          else if (c === 0x2f) { i++; state = SELF_CLOSING; }
          else state = BEFORE_ATTR_NAME;
          break;
        }
        case SELF_CLOSING: {
          // The solidus is ignored on HTML elements: `<script/>` still opens a script.
          if (s.charCodeAt(i) === 0x3e) { i++; state = this.emitTag(); } else state = BEFORE_ATTR_NAME;
          break;
        }
        case MARKUP_OPEN: // after `<!`
          if (s.charCodeAt(i) === 0x2d) { i++; state = MARKUP_DASH; } else state = BOGUS_COMMENT;
          break;
        case MARKUP_DASH: // after `<!-`
          if (s.charCodeAt(i) === 0x2d) { i++; state = COMMENT_START; } else state = BOGUS_COMMENT;
          break;
        case COMMENT_START: // after `<!--`: `<!-->` is a whole (empty) comment
          if (s.charCodeAt(i) === 0x2d) { i++; state = COMMENT_START_DASH; }
          else if (s.charCodeAt(i) === 0x3e) { i++; state = TEXT; }
          else state = COMMENT;
          break;
        case COMMENT_START_DASH: // after `<!---`: `<!--->` is a whole comment too
          if (s.charCodeAt(i) === 0x2d) { i++; state = COMMENT_END; }
          else if (s.charCodeAt(i) === 0x3e) { i++; state = TEXT; }
          else state = COMMENT;
          break;
        case COMMENT: {
          const dash = s.indexOf('-', i);
          if (dash < 0) { i = len; break; }
          i = dash + 1;
          state = COMMENT_END_DASH;
          break;
        }
        case COMMENT_END_DASH:
          if (s.charCodeAt(i) === 0x2d) { i++; state = COMMENT_END; } else state = COMMENT;
          break;
        case COMMENT_END: // after `--`: `-->` ends it, and so does `--!>`
          if (s.charCodeAt(i) === 0x3e) { i++; state = TEXT; }
          else if (s.charCodeAt(i) === 0x21) { i++; state = COMMENT_END_BANG; }
          else if (s.charCodeAt(i) === 0x2d) i++;
          else state = COMMENT;
          break;
        case COMMENT_END_BANG:
          if (s.charCodeAt(i) === 0x3e) { i++; state = TEXT; }
          else if (s.charCodeAt(i) === 0x2d) { i++; state = COMMENT_END_DASH; }
          else state = COMMENT;
          break;
        case BOGUS_COMMENT: { // `<!DOCTYPE …>`, `<?xml …>`, `<![CDATA[…>`, `</ …>`: up to the first `>`
          const gt = s.indexOf('>', i);
          if (gt < 0) { i = len; break; }
          i = gt + 1;
          state = TEXT;
          break;
        }
        case RAWTEXT:
        case SCRIPT:
        case SCRIPT_ESCAPED:
        case SCRIPT_DOUBLE_ESCAPED: {
          const r = state === RAWTEXT ? this.rawText(buf, s, i) : this.scriptData(s, i, state);
          if (r < 0) { // out of bytes: carry the undecided tail to the next chunk
            this.carry = Buffer.from(buf.subarray(-r - 1));
            this.state = this.nextState;
            return;
          }
          i = r;
          state = this.nextState;
          break;
        }
        default: // PLAINTEXT: the rest of the document is text
          i = len;
      }
    }
    if (this.valueStart >= 0) this.keepValue(buf, len);
    this.state = state;
  }

  // ---- tags and attributes ----

  private beginTag(isEnd: boolean): void {
    this.isEndTag = isEnd;
    this.nameBytes = '';
    this.nameUpper = false;
    this.attrPending = false;
    this.attrMode = SKIP;
  }

  private endTagName(): void {
    if (this.isEndTag) { // end tags only need tokenizing (raw-text ends are found elsewhere)
      this.want = WANT_NONE;
      return;
    }
    const name = this.nameUpper ? this.nameBytes.toLowerCase() : this.nameBytes;
    this.tagName = name;
    this.nameBytes = '';
    const entry = this.table.get(name) ?? TEXT;
    this.content = entry & CONTENT_MASK;
    if (entry & REPORT) this.want = WANT_LISTED;
    else this.want = this.opt.styleAttributes ? WANT_STYLE : WANT_NONE;
    if (this.want !== WANT_NONE) this.attrs = []; // a fresh array: cheaper than truncating one
  }

  private beginAttr(): void {
    this.commitEmpty();
    this.nameBytes = '';
    this.nameUpper = false;
    this.attrMode = SKIP;
  }

  private endAttrName(): void {
    this.attrPending = false;
    if (this.want === WANT_NONE) return;
    const name = this.nameUpper ? this.nameBytes.toLowerCase() : this.nameBytes;
    this.nameBytes = '';
    const wanted = this.want === WANT_LISTED ? this.opt.attributes.has(name) : name === 'style';
    if (!wanted || this.hasAttr(name)) return; // a duplicate attribute is ignored, as in HTML
    this.attrName = name;
    this.attrMode = KEEP;
    this.attrPending = true;
  }

  private hasAttr(name: string): boolean {
    const a = this.attrs;
    for (let k = 0; k < a.length; k += 2) if (a[k] === name) return true;
    return false;
  }

  /** An attribute without `=` has the empty string as its value. */
  private commitEmpty(): void {
    if (this.attrPending && this.attrMode === KEEP) this.attrs.push(this.attrName, '');
    this.attrPending = false;
    this.attrMode = SKIP;
  }

  /** Keeps the part of a value that this chunk holds (bounded), for a value that goes on. */
  private keepValue(buf: Buffer, end: number): void {
    if (this.attrMode === KEEP && this.valueBytes <= this.opt.maxValueBytes) {
      this.valueBytes += end - this.valueStart;
      if (this.valueBytes <= this.opt.maxValueBytes) this.valueParts.push(Buffer.from(buf.subarray(this.valueStart, end)));
      else this.valueParts = []; // too long: it will be dropped, free what was kept
    }
    this.valueStart = 0;
  }

  private commitValue(buf: Buffer, s: string, start: number, end: number): void {
    this.valueStart = -1;
    this.attrPending = false;
    if (this.attrMode !== KEEP) return;
    this.attrMode = SKIP;
    const total = this.valueBytes + end - start;
    const parts = this.valueParts;
    this.valueBytes = 0;
    let text: string;
    if (parts.length === 0) {
      if (total > this.opt.maxValueBytes) return;
      text = s.slice(start, end);
      if (NON_ASCII.test(text)) text = buf.toString('utf8', start, end);
    } else {
      this.valueParts = [];
      if (total > this.opt.maxValueBytes) return;
      parts.push(buf.subarray(start, end));
      text = Buffer.concat(parts).toString('utf8');
    }
    if (text.indexOf('\0') >= 0) text = text.replace(/\0/g, '\uFFFD'); // as the HTML tokenizer does
    this.attrs.push(this.attrName, text.indexOf('&') < 0 ? text : decodeReferences(text));
  }

  /** The `>` of a tag: report it, and switch to the state its element's content starts in. */
  private emitTag(): number {
    this.commitEmpty();
    if (this.isEndTag) return TEXT;
    const name = this.tagName;
    if (this.want !== WANT_NONE && (this.want === WANT_LISTED || this.attrs.length > 0)) {
      this.sink.tag(name, this.attrs);
    }
    if (this.content === RAWTEXT) {
      this.rawName = name;
      if (name === 'style' && this.opt.styleText) { this.styleParts = []; this.styleBytes = 0; }
    }
    return this.content;
  }

  // ---- raw text and script data ----

  /** The state to continue in, set by rawText() and scriptData(). */
  private nextState = TEXT;

  /** Starts the end tag `</name` found at lt; its attributes are tokenized and dropped. */
  private endRaw(lt: number, name: string): number {
    this.beginTag(true);
    this.tagName = name;
    this.want = WANT_NONE;
    this.nextState = BEFORE_ATTR_NAME;
    return lt + 2 + name.length;
  }

  /** Text of a raw-text or RCDATA element up to `</name`. Returns the next index, or -(index+1)
   * of the first byte to carry when the chunk ends before that is decided. */
  private rawText(buf: Buffer, s: string, from: number): number {
    const name = this.rawName;
    let i = from;
    for (;;) {
      const lt = s.indexOf('<', i);
      const textEnd = lt < 0 ? s.length : lt;
      if (this.styleParts !== null) this.keepStyle(buf, from, textEnd);
      from = textEnd;
      if (lt < 0) { this.nextState = RAWTEXT; return s.length; }
      const m = matchTag(s, lt, name, true);
      if (m < 0) { this.nextState = RAWTEXT; return -(lt + 1); }
      if (m > 0) {
        if (this.styleParts !== null) this.flushStyle();
        return this.endRaw(lt, name);
      }
      i = lt + 1;
    }
  }

  /** Script data and its escaped states (`<!--` … `<script>` … `</script>` … `-->`). */
  private scriptData(s: string, from: number, state: number): number {
    let i = from;
    let dashes = -2; // index of the next `-->` at or after i; -2: not searched yet
    for (;;) {
      const lt = s.indexOf('<', i);
      if (state !== SCRIPT) {
        if (dashes !== -1 && dashes < i) dashes = s.indexOf('-->', i);
        if (dashes >= 0 && (lt < 0 || dashes < lt)) { i = dashes + 3; state = SCRIPT; continue; }
      }
      if (lt < 0) {
        this.nextState = state;
        // `-->` may straddle the chunk boundary: keep its first two bytes.
        return state === SCRIPT ? s.length : -(Math.max(i, s.length - 2) + 1);
      }
      const m = matchTag(s, lt, 'script', true);
      if (m < 0) { this.nextState = state; return -(lt + 1); }
      if (state === SCRIPT_DOUBLE_ESCAPED) {
        if (m > 0) { i = lt + 8; state = SCRIPT_ESCAPED; } else i = lt + 1;
        continue;
      }
      if (m > 0) return this.endRaw(lt, 'script');
      if (state === SCRIPT) {
        const o = matchLiteral(s, lt, '<!--');
        if (o < 0) { this.nextState = state; return -(lt + 1); }
        // From `<!--` on, its own `--` may close it (`<!-->`): search `-->` from its dashes.
        if (o > 0) { i = lt + 2; state = SCRIPT_ESCAPED; dashes = -2; continue; }
      } else {
        const d = matchTag(s, lt, 'script', false);
        if (d < 0) { this.nextState = state; return -(lt + 1); }
        if (d > 0) { i = lt + 7; state = SCRIPT_DOUBLE_ESCAPED; continue; }
      }
      i = lt + 1;
    }
  }

  private keepStyle(buf: Buffer, start: number, end: number): void {
    const room = this.opt.maxStyleBytes - this.styleBytes;
    const n = Math.min(room, end - start);
    if (n <= 0) return;
    this.styleParts!.push(Buffer.from(buf.subarray(start, start + n)));
    this.styleBytes += n;
  }

  private flushStyle(): void {
    const css = Buffer.concat(this.styleParts!).toString('utf8');
    this.styleParts = null;
    this.sink.style(css);
  }
}

/** Character references in an attribute value. `&amp;` alone (in most query strings) is
 * replaced directly: the full decoder walks its trie per reference. */
function decodeReferences(text: string): string {
  for (let amp = text.indexOf('&'); amp >= 0; amp = text.indexOf('&', amp + 1)) {
    if (!text.startsWith('&amp;', amp)) return decodeHTMLAttribute(text);
  }
  return text.replaceAll('&amp;', '&');
}

/** Does s hold `lit` at i? 1 yes, 0 no, -1 the chunk ends before that is known. */
function matchLiteral(s: string, i: number, lit: string): number {
  for (let k = 0; k < lit.length; k++) {
    if (i + k >= s.length) return -1;
    if (s.charCodeAt(i + k) !== lit.charCodeAt(k)) return 0;
  }
  return 1;
}

/** Does s hold `</name` (or `<name` when !end) at i, in any case, followed by whitespace, `/`
 * or `>`? 1 yes, 0 no, -1 the chunk ends before that is known. */
function matchTag(s: string, i: number, name: string, end: boolean): number {
  let p = i + 1;
  if (end) {
    if (p >= s.length) return -1;
    if (s.charCodeAt(p) !== 0x2f) return 0;
    p++;
  }
  for (let k = 0; k < name.length; k++, p++) {
    if (p >= s.length) return -1;
    if ((s.charCodeAt(p) | 0x20) !== name.charCodeAt(k)) return 0;
  }
  if (p >= s.length) return -1;
  const c = s.charCodeAt(p);
  return c === 0x3e || c === 0x2f || isSpace(c) ? 1 : 0;
}
