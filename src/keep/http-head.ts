// The HTTP heads that open a request and a response record's block.
//
// Request: `<METHOD> <path> HTTP/1.1` and the headers as sent, in order; the values of
// Authorization, Cookie and Proxy-Authorization are replaced by REDACTED unless the user asked to
// keep secrets.
//
// Response: the status line and the header list exactly as received (order, case, bytes), with
// one change WARC practice requires (browsertrix, warcio, Heritrix): the payload is stored
// de-chunked, so `Transfer-Encoding: chunked` becomes `X-Orig-Transfer-Encoding: chunked` and a
// `Content-Length` gives the stored length. When the stored payload is shorter or longer than the
// received Content-Length said (cut by --max-body, or the connection dropped), that header is
// kept as `X-Orig-Content-Length` and a true `Content-Length` follows it, so a replay tool reads
// exactly the bytes that are there. HEAD answers, 1xx, 204 and 304 carry no body by protocol:
// their Content-Length is left alone.

import { SECRET_HEADERS } from '../run/secrets.js';

export const REDACTED = '***';


/** The request-target of an absolute http(s) URL: path and query, never the fragment. */
export function requestTarget(url: string): string {
  const scheme = url.indexOf('://');
  const start = scheme < 0 ? -1 : url.indexOf('/', scheme + 3);
  let end = url.indexOf('#', start < 0 ? 0 : start);
  if (end < 0) end = url.length;
  if (start < 0 || start > end) {
    // No path: `http://host?q` has target `/?q`.
    const q = url.indexOf('?', scheme + 3);
    return q < 0 || q > end ? '/' : '/' + url.slice(q, end);
  }
  return url.slice(start, end);
}

export function requestHead(
  method: string,
  url: string,
  headers: readonly (readonly [string, string])[],
  keepSecrets: boolean,
): string {
  return `${method} ${requestTarget(url)} HTTP/1.1\r\n${headerLines(headers, keepSecrets)}\r\n`;
}

// The crawl passes the same header list object for every request to a host (warc-tap.ts keeps
// them): its lines are formatted once per list, not per exchange.
const linesOf = [new WeakMap<object, string>(), new WeakMap<object, string>()];

/** `name: value\r\n` per header, secrets redacted unless kept. */
function headerLines(headers: readonly (readonly [string, string])[], keepSecrets: boolean): string {
  const memo = linesOf[keepSecrets ? 1 : 0]!;
  let lines = memo.get(headers);
  if (lines !== undefined) return lines;
  lines = '';
  for (const [name, value] of headers) {
    const secret = !keepSecrets && SECRET_HEADERS.has(name.toLowerCase());
    lines += `${name}: ${secret ? REDACTED : value}\r\n`;
  }
  memo.set(headers, lines);
  return lines;
}

/** A received head, kept as undici's Buffers, and what decides its Content-Length at the end. */
export interface ResponseHeadInfo {
  /** The status line (latin1, no CRLF). */
  readonly statusLine: string;
  readonly raw: readonly Buffer[];
  /** The header lines in order: an index into `raw` (name at i, value at i+1) or a written line. */
  readonly lines: (number | string)[];
  /** Index in `lines` of the received Content-Length line, or -1. */
  readonly lengthAt: number;
  /** The received Content-Length value, or null. */
  readonly declaredLength: string | null;
  /** `chunked` was taken out of Transfer-Encoding: the stored length must be added. */
  readonly dechunked: boolean;
  /** The protocol lets this response carry a body (not HEAD, 1xx, 204 or 304). */
  readonly bodyExpected: boolean;
  /** The Content-Type value (for the CDX index and --save-types), or null. */
  readonly contentType: string | null;
}

// Heads are bytes. Raw headers stay the Buffers undici gave (copied, never decoded: this is the
// hot path). Written lines are latin1 strings (one char per byte). The status text reaches us as
// text undici decoded from UTF-8 (client-h1 onStatus: buf.toString()), so its bytes are its UTF-8
// encoding. A request head is a latin1 string too: undici writes it to the socket with 'latin1'.
function utf8Bytes(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

/** The lower-cased name when it is one of the three that matter here (checked by length first). */
function special(name: Buffer): string {
  const n = name.length;
  return n === 14 || n === 17 || n === 12 ? name.toString('latin1').toLowerCase() : '';
}

export function parseResponseHead(
  method: string,
  statusCode: number,
  statusText: string,
  rawHeaders: readonly Buffer[],
  httpVersion = '1.1',
): ResponseHeadInfo {
  const statusLine = `HTTP/${httpVersion} ${statusCode}${statusText === '' ? '' : ' ' + utf8Bytes(statusText)}`;
  const lines: (number | string)[] = [];
  let lengthAt = -1;
  let declaredLength: string | null = null;
  let dechunked = false;
  let contentType: string | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const lower = special(rawHeaders[i]!);
    if (lower === 'transfer-encoding') {
      const value = rawHeaders[i + 1]!.toString('latin1');
      const codings = value.split(',').map((c) => c.trim());
      const rest = codings.filter((c) => c.toLowerCase() !== 'chunked');
      if (rest.length !== codings.length) {
        dechunked = true;
        lines.push(`X-Orig-Transfer-Encoding: ${value}`);
        // Another transfer coding (rare: `gzip, chunked`) still applies to the stored bytes.
        if (rest.length > 0) lines.push(`${rawHeaders[i]!.toString('latin1')}: ${rest.join(', ')}`);
        continue;
      }
    } else if (lower === 'content-length') {
      lengthAt = lines.length;
      declaredLength = rawHeaders[i + 1]!.toString('latin1').trim();
    } else if (lower === 'content-type' && contentType === null) {
      contentType = rawHeaders[i + 1]!.toString('latin1');
    }
    lines.push(i);
  }
  const bodyExpected = method !== 'HEAD' && statusCode >= 200 && statusCode !== 204 && statusCode !== 304;
  return { statusLine, raw: rawHeaders, lines, lengthAt, declaredLength, dechunked, bodyExpected, contentType };
}

const COLON = ': ';
const EOL = '\r\n';

/** The response head as stored, once the stored payload length is known: parts and byte length. */
export function responseHeadParts(info: ResponseHeadInfo, storedLength: number): { parts: (string | Buffer)[]; length: number } {
  const stored = String(storedLength);
  const parts: (string | Buffer)[] = [info.statusLine, EOL];
  let length = info.statusLine.length + 2;
  const text = (line: string): void => {
    parts.push(line, EOL);
    length += line.length + 2;
  };
  const rewrite = info.bodyExpected && info.lengthAt >= 0 && info.declaredLength !== stored;
  for (let l = 0; l < info.lines.length; l++) {
    const line = info.lines[l]!;
    if (rewrite && l === info.lengthAt) {
      const i = line as number;
      text(`X-Orig-${info.raw[i]!.toString('latin1')}: ${info.raw[i + 1]!.toString('latin1')}`);
      text(`Content-Length: ${stored}`);
    } else if (typeof line === 'string') text(line);
    else {
      const name = info.raw[line]!;
      const value = info.raw[line + 1]!;
      parts.push(name, COLON, value, EOL);
      length += name.length + value.length + 4;
    }
  }
  if (info.dechunked && info.lengthAt < 0) text(`Content-Length: ${stored}`);
  parts.push(EOL);
  return { parts, length: length + 2 };
}

/** The stored head as one latin1 string (for tests and small callers). */
export function responseHead(info: ResponseHeadInfo, storedLength: number): string {
  return responseHeadParts(info, storedLength)
    .parts.map((p) => (typeof p === 'string' ? p : p.toString('latin1')))
    .join('');
}
