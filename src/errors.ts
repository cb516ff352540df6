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
};

/** Maps anything thrown by undici, node:net, node:tls or dns to a stable error code. */
export function toErrorCode(err: unknown): ErrorCode {
  if (err instanceof CrawlError) return err.code;
  if (err === null || typeof err !== 'object') return 'network';
  const e = err as { code?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const mapped = CODE_MAP[code];
  if (mapped) return mapped;
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('CERT_')) {
    return 'tls';
  }
  if (e.cause && e.cause !== err) return toErrorCode(e.cause);
  return 'network';
}

/** A short, single-line message for a record: the most specific message in the cause chain. */
export function toErrorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const code = (err as { code?: unknown }).code;
    let msg = err.message || String(code ?? err.name);
    if (cause instanceof Error && cause.message && cause.message !== msg) msg = `${msg}: ${cause.message}`;
    return msg.replace(/\s+/g, ' ').slice(0, 300);
  }
  return String(err).slice(0, 300);
}
