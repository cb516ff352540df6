// Error codes are part of the record schema: stable strings users grep and jq for.
// Every failure a crawl can meet maps to exactly one of them (see README "Error codes").

export type ErrorCode =
  | 'invalid_url'
  | 'timeout'
  | 'dns'
  | 'connect_refused'
  | 'connection_reset'
  | 'tls'
  | 'body_too_large'
  | 'too_many_redirects'
  | 'bad_redirect'
  | 'http_status'
  | 'max_deliveries'
  | 'aborted'
  | 'network'
  | 'protocol'
  | 'robots_disallowed';


/** A failure of one URL, carried as a value into its record. */
export class CrawlError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'CrawlError';
  }
}

/** Raised for bad options or unreadable inputs: exit 2, one line, no stack trace. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

const CODE_MAP: Record<string, ErrorCode> = {
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_NONAME: 'dns',
  EAI_FAIL: 'dns',
  ECONNREFUSED: 'connect_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  UND_ERR_ABORTED: 'aborted',
  ABORT_ERR: 'aborted',
  // A response that breaks HTTP/1.1: the server's fault, the same on every try, so not retried.
  // llhttp's parser errors (HPE_*) are matched by prefix in toErrorCode; this is undici's own check.
  UND_ERR_HEADERS_OVERFLOW: 'protocol',
  // A body cut short, which is a broken connection, not a malformed response: undici reports a
  // body shorter than its Content-Length this way when the server closes with `Connection: close`
  // (under keep-alive the same fault is "other side closed"), and llhttp a chunked body that ends
  // mid-chunk as HPE_INVALID_EOF_STATE (see isParserError for why the code is not set). (undici raises the Content-Length error also for a
  // response with both Content-Length and chunked encoding, or two different Content-Lengths:
  // indistinguishable here, so those are connection_reset too; the message says which.)
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'connection_reset',
  HPE_INVALID_EOF_STATE: 'connection_reset',
};

/**
 * undici's SocketError (UND_ERR_SOCKET, otherwise a broken connection) with these messages is a
 * response nobody asked for: bytes while no request was running, a 101 Switching Protocols to a
 * request that did not ask to upgrade, a 100 Continue to one that sent no Expect (undici rejects
 * it, stricter than RFC 9110 §15.2). The messages are undici 7's; package.json pins undici.
 */
const UNSOLICITED = new Set(['bad response', 'bad upgrade']);

/** The brand undici's own `instanceof HTTPParserError` checks (works across undici copies). */
const PARSER_ERROR = Symbol.for('undici.error.UND_ERR_HTTP_PARSER');

/**
 * An error of llhttp, undici's HTTP/1.1 parser: a malformed status line, header, chunk size or
 * Content-Length. Told by its brand, not its code: undici 7.30.2 builds the code as
 * `HPE_${constants.ERROR[ret]}`, indexing a name -> number table by number, so `code` is always
 * undefined (the HPE_ prefix is matched too, for when that is fixed).
 */
function isParserError(e: object, code: string): boolean {
  return (e as { [PARSER_ERROR]?: unknown })[PARSER_ERROR] === true || code.startsWith('HPE_');
}

/** Maps anything thrown by undici, node:net, node:tls or dns to a stable error code. */
export function toErrorCode(err: unknown): ErrorCode {
  if (err instanceof CrawlError) return err.code;
  if (err === null || typeof err !== 'object') return 'network';
  const e = err as { code?: unknown; cause?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const mapped = Object.hasOwn(CODE_MAP, code) ? CODE_MAP[code] : undefined; // not 'constructor'...
  if (mapped !== undefined) {
    if (code === 'UND_ERR_SOCKET' && typeof e.message === 'string' && UNSOLICITED.has(e.message)) return 'protocol';
    return mapped;
  }
  if (isParserError(e, code)) {
    // llhttp's reason for a chunked body that ended mid-chunk: a cut, not a malformation.
    return typeof e.message === 'string' && e.message.endsWith('(Invalid EOF state)') ? 'connection_reset' : 'protocol';
  }
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')) {
    return 'tls';
  }
  if (e.cause && e.cause !== err) return toErrorCode(e.cause);
  return 'network';
}

/**
 * The first `max` UTF-16 units of `text`, one fewer when the cut would leave half a surrogate
 * pair (a lone surrogate cannot be written as UTF-8; it would reach the record as U+FFFD or an
 * escape that strict JSON readers reject). For text that goes into records and messages.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return text.slice(0, (text.charCodeAt(max - 1) & 0xfc00) === 0xd800 ? max - 1 : max);
}

/** One line: any run of whitespace (line separators included) becomes one space; at most 300 units. */
const oneLine = (text: string): string => clip(text.replace(/\s+/g, ' '), 300);

/** A short, single-line message for a record: the most specific message in the cause chain. */
export function toErrorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (err as { code?: unknown }).code;
    let msg = err.message || String(code ?? err.name);
    if (cause instanceof Error && cause.message && cause.message !== msg) msg = `${msg}: ${cause.message}`;
    return oneLine(msg);
  }
  return oneLine(String(err));
}
