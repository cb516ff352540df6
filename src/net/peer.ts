// Which server address answered a request, for WARC-IP-Address. The dispatcher that knows the
// connection (origin-dispatcher.ts) records each connection's remote address when it connects
// and, as it hands a request to a connection, sets that connection's Peer on the handler under
// this symbol when the handler has the slot (sweep's UrlTask does). One property write per
// request; nothing per chunk. Paths through undici's Agent (proxy, --http2) leave it
// null: the record then has no address rather than a guessed one.

export const kPeer = Symbol('sweep.peer');

export interface Peer {
  /** The socket's remote address once connected; null before. */
  address: string | null;
  /** The HTTP version of the response being parsed on it ("1.0", "1.1"), asked at its head. */
  httpVersion?(): string | null;
}

/** A handler that wants to know its peer. */
export interface PeerSlot {
  [kPeer]: Peer | null;
}
