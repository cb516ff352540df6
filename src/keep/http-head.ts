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

export const REDACTED = '***';

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

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
  let head = `${method} ${requestTarget(url)} HTTP/1.1\r\n`;
  for (const [name, value] of headers) {
    const secret = !keepSecrets && SECRET_HEADERS.has(name.toLowerCase());
    head += `${name}: ${secret ? REDACTED : value}\r\n`;
  }
  return head + '\r\n';
}

/** Facts about a received head that decide how its Content-Length is written at the end. */
export interface ResponseHeadInfo {
  /** Byte-exact (latin1) status line and header lines, Transfer-Encoding already renamed. */
  readonly lines: string[];
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

// Heads are built as latin1 strings: one char per byte, written with 'latin1'. Raw headers are
// Buffers and decode exactly that way. The status text reaches us as text undici decoded from
// UTF-8 (client-h1 onStatus: buf.toString()), so its bytes are its UTF-8 encoding. A request head
// needs no conversion: undici itself writes it to the socket with 'latin1'.
function utf8Bytes(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(text) ? Buffer.from(text, 'utf8').toString('latin1') : text;
}

export function parseResponseHead(
  method: string,
  statusCode: number,
  statusText: string,
  rawHeaders: readonly Buffer[],
  httpVersion = '1.1',
): ResponseHeadInfo {
  const lines: string[] = [`HTTP/${httpVersion} ${statusCode}${statusText === '' ? '' : ' ' + utf8Bytes(statusText)}`];
  let lengthAt = -1;
  let declaredLength: string | null = null;
  let dechunked = false;
  let contentType: string | null = null;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toString('latin1');
    const value = rawHeaders[i + 1]!.toString('latin1');
    const lower = name.length === 14 || name.length === 17 || name.length === 12 ? name.toLowerCase() : '';
    if (lower === 'transfer-encoding') {
      const codings = value.split(',').map((c) => c.trim());
      const rest = codings.filter((c) => c.toLowerCase() !== 'chunked');
      if (rest.length !== codings.length) {
        dechunked = true;
        lines.push(`X-Orig-Transfer-Encoding: ${value}`);
        // Another transfer coding (rare: `gzip, chunked`) still applies to the stored bytes.
        if (rest.length > 0) lines.push(`${name}: ${rest.join(', ')}`);
        continue;
      }
    } else if (lower === 'content-length') {
      lengthAt = lines.length;
      declaredLength = value.trim();
    } else if (lower === 'content-type' && contentType === null) {
      contentType = value;
    }
    lines.push(`${name}: ${value}`);
  }
  const bodyExpected = method !== 'HEAD' && statusCode >= 200 && statusCode !== 204 && statusCode !== 304;
  return { lines, lengthAt, declaredLength, dechunked, bodyExpected, contentType };
}

/** The response head as stored, once the stored payload length is known. */
export function responseHead(info: ResponseHeadInfo, storedLength: number): string {
  const stored = String(storedLength);
  let lines = info.lines;
  if (info.bodyExpected && info.lengthAt >= 0 && info.declaredLength !== stored) {
    lines = lines.slice();
    lines.splice(info.lengthAt, 1, `X-Orig-${lines[info.lengthAt]!}`, `Content-Length: ${stored}`);
  } else if (info.dechunked && info.lengthAt < 0) {
    lines = lines.concat(`Content-Length: ${stored}`);
  }
  return lines.join('\r\n') + '\r\n\r\n';
}
