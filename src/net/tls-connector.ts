// The connector every sweep dispatcher opens sockets with: undici's, with two things a crawl
// over many TLS connections needs and undici's does not do.
//
// One SecureContext for the run. Given no `secureContext`, Node's tls.connect builds one per
// connection: an OpenSSL context, ~0.5 ms of CPU each here, for every handshake. It is built at
// the first https connection (an http-only crawl never pays for it), from the same defaults
// (Node's roots, NODE_EXTRA_CA_CERTS), unless the caller passes its own (--cacert's).
//
// Sessions kept across connections to one host. A new connection to a host sweep has talked to
// can resume the session (a TLS 1.3 ticket) instead of making a full handshake: a round trip,
// the certificate check and the server's signature saved. undici's connector has a session cache
// (maxCachedSessions), but holds each session only through a WeakRef: nothing else keeps the
// Buffer, so the next garbage collection drops it. Measured against nginx (TLS 1.3, tickets on),
// connection after connection: with a collection in between, none resumed. Here the latest
// session of each host is held strongly in a bounded Map (oldest host out first), where
// undici's cache finds it. One listener per TLS connection; nothing per request.

import { createSecureContext, rootCertificates, type SecureContext, type TLSSocket } from 'node:tls';
import type { buildConnector as BuildConnector } from 'undici';
import { buildConnector } from '../undici-core.js';
import { readCa } from './options.js';

/**
 * Hosts whose latest session is kept. A session is ~1-3 KB (the ticket and the server's leaf
 * certificate), so the bound is a few MB: enough for a crawl that comes back to thousands of
 * hosts after their keep-alive connections closed.
 */
export const KEPT_SESSIONS = 4096;

/**
 * The run's one SecureContext for --cacert: Node's roots plus the CA in `pemPath` (`ca` alone
 * would replace the roots, so public hosts would stop verifying). Built once and handed to the
 * connector as `secureContext`: `ca` in connect options costs a context per connection.
 */
export function secureContextWithCa(pemPath: string): SecureContext {
  return createSecureContext({ ca: [...rootCertificates, readCa(pemPath)] });
}

type ReturningConnector = (o: BuildConnector.Options, cb: BuildConnector.Callback) => TLSSocket | undefined;

/**
 * undici's connector over `options`, for http and https: https connections share one
 * SecureContext (`options.secureContext`, or Node's default one built at the first https
 * connection) and resume the latest session of their host, kept for up to `max` hosts.
 */
export function tlsConnector(options: BuildConnector.BuildOptions, max = KEPT_SESSIONS): BuildConnector.connector {
  const plain = buildConnector(options);
  let secure: ReturningConnector | undefined;
  const kept = new Map<string, Buffer>();
  const keep = (host: string, session: Buffer): void => {
    kept.delete(host);
    kept.set(host, session);
    if (kept.size > max) kept.delete(kept.keys().next().value as string);
  };
  return (opts, callback) => {
    if (opts.protocol !== 'https:') {
      plain(opts, callback);
      return;
    }
    secure ??= buildConnector({
      ...options,
      secureContext: (options as { secureContext?: unknown }).secureContext ?? createSecureContext(),
      // undici's own cache twice as large as the kept set: when full it scans for an entry
      // whose session was collected before evicting one, and the unkept half holds such entries.
      maxCachedSessions: 2 * max,
    } as BuildConnector.BuildOptions) as unknown as ReturningConnector;
    // undici's connector returns the socket at once: listening here, before any byte is read,
    // also catches a TLS 1.2 session, which arrives during the handshake.
    const socket = secure(opts, callback);
    // undici files sessions under the server name, or the host when it is an IP literal (no SNI).
    const host = opts.servername ?? opts.hostname;
    socket?.on('session', (session: Buffer) => keep(host, session));
  };
}
