// Stale keep-alive sockets. A server may close an idle keep-alive socket at the moment sweep
// writes the next request on it; undici then fails that request ("other side closed" or
// ECONNRESET) and does not retry it. Such a failure says nothing about the URL, so the fetcher
// re-sends it at once, without counting an attempt, when isStaleSocketError() says so.
//
// Telling "reused socket" from "fresh socket" needs the socket, which undici's errors do not
// always carry (a raw ECONNRESET has none). The connector below tags each connection's errors
// instead: one listener per connection, nothing per request.

import type { buildConnector as BuildConnector } from 'undici';
import { tlsConnector } from './net/tls-connector.js';

const REUSED = Symbol('sweep.reusedSocket');
const STALE_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/** undici's connector, with each socket's errors tagged when the socket had already read a response. */
export function taggingConnector(options: BuildConnector.BuildOptions): BuildConnector.connector {
  return tagSockets(tlsConnector(options));
}

/** Any connector (a proxy agent's tunnel, say), its sockets' errors tagged the same way. */
export function tagSockets(connect: BuildConnector.connector): BuildConnector.connector {
  return (opts, callback) => {
    connect(opts, (err, socket) => {
      if (socket !== null && err === null) {
        // Bytes read before the socket is handed over (a TLS handshake, a proxy's answer to
        // CONNECT) are not responses: only count what arrives after.
        const base = socket.bytesRead;
        // Reused means a response had come in before the failing request was written, not
        // merely that bytes came in: a fresh socket whose first response breaks off mid-head
        // has read bytes too, and re-sending that request silently (up to 3 times, uncounted)
        // hid a broken server. So note what had been read at each write (one per HTTP/1.1
        // request). HTTP/2 writes frames below this object; there any byte read still counts.
        let readBeforeWrite = base;
        const write = socket.write;
        socket.write = function (this: typeof socket, ...args: Parameters<typeof write>) {
          readBeforeWrite = socket.bytesRead;
          return write.apply(this, args);
        } as typeof write;
        // Registered before undici's own listener, so the tag is on the error undici reports.
        socket.on('error', (error: Error & { [REUSED]?: boolean }) => {
          const h2 = (socket as { alpnProtocol?: string | false }).alpnProtocol === 'h2';
          error[REUSED] = (h2 ? socket.bytesRead : readBeforeWrite) > base;
        });
        callback(null, socket);
      } else {
        callback(err as Error, null);
      }
    });
  };
}

/**
 * True when a request failed because the reused keep-alive socket it was written on had been
 * closed by the server: a reset or close, on a socket that had read earlier responses, before
 * any response header of this request (the caller checks that part).
 */
export function isStaleSocketError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { code?: unknown; [REUSED]?: boolean };
  // undici's own "other side closed" SocketError reaches the socket through destroy(err), so it
  // is tagged like the errors node raises.
  return e[REUSED] === true && typeof e.code === 'string' && STALE_CODES.has(e.code);
}
