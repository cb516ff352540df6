// A DNS server for tests and the DNS benchmark, on loopback UDP (dgram): it answers A queries for
// `h<N>.<zone>` (N digits; zone `crawl.test` by default) with one address and a TTL, after a set
// delay, like a resolver a round trip away. AAAA queries for those names get an empty answer
// (NOERROR, no records: "no IPv6 address"); every other name gets NXDOMAIN. It counts what it was
// asked, so a test can prove that a cache sent one query where it would have sent fifty.
//
// Just the wire format sweep's resolver needs (RFC 1035 §4): one question per query; anything
// in the additional section (an EDNS OPT record) is ignored and not echoed.

import { createSocket, type Socket } from 'node:dgram';

export interface DnsTestbedOptions {
  /** Address to bind; 127.0.0.1 by default. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Milliseconds before each answer leaves (0: at once). */
  delayMs?: number;
  /** TTL of the A records, seconds. */
  ttl?: number;
  zone?: string;
  /** The address every h<N> name resolves to. */
  address?: string;
}

export interface DnsTestbed {
  readonly host: string;
  readonly port: number;
  /** `host:port` for --dns-server. */
  readonly server: string;
  /** Queries received, by type (A, AAAA, other). */
  readonly counts: { A: number; AAAA: number; other: number };
  /** A queries received for one name. */
  queriesFor(name: string): number;
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

/** The question's name (lower-case, dotted), type, and where the question ends; null when malformed. */
function readQuestion(msg: Buffer): { name: string; type: number; end: number } | null {
  if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return null;
  const labels: string[] = [];
  let at = 12;
  for (;;) {
    const len = msg[at];
    if (len === undefined || len > 63) return null;
    at++;
    if (len === 0) break;
    if (at + len > msg.length) return null;
    labels.push(msg.toString('latin1', at, at + len).toLowerCase());
    at += len;
  }
  if (at + 4 > msg.length) return null;
  return { name: labels.join('.'), type: msg.readUInt16BE(at), end: at + 4 };
}

function answer(query: Buffer, end: number, rcode: number, rdata: Buffer | null, type: number, ttl: number): Buffer {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2); // id
  // QR, the query's opcode and RD, AA, RA, and the response code.
  header.writeUInt16BE(0x8000 | (query.readUInt16BE(2) & 0x7900) | 0x0400 | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rdata === null ? 0 : 1, 6);
  const parts = [header, query.subarray(12, end)];
  if (rdata !== null) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
    rr.writeUInt16BE(type, 2);
    rr.writeUInt16BE(1, 4); // class IN
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

export async function startDnsTestbed(o: DnsTestbedOptions = {}): Promise<DnsTestbed> {
  const host = o.host ?? '127.0.0.1';
  const delayMs = o.delayMs ?? 0;
  const ttl = o.ttl ?? 300;
  const zone = (o.zone ?? 'crawl.test').toLowerCase();
  const rdata = Buffer.from((o.address ?? '127.0.0.1').split('.').map(Number));
  const pattern = new RegExp(`^h\\d+\\.${zone.replace(/\./g, '\\.')}$`);
  const counts = { A: 0, AAAA: 0, other: 0 };
  const perName = new Map<string, number>();
  const socket: Socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const pending = new Set<NodeJS.Timeout>();

  socket.on('message', (msg, peer) => {
    const q = readQuestion(msg);
    if (q === null) return;
    if (q.type === TYPE_A) {
      counts.A++;
      perName.set(q.name, (perName.get(q.name) ?? 0) + 1);
    } else if (q.type === TYPE_AAAA) counts.AAAA++;
    else counts.other++;
    const known = pattern.test(q.name);
    const reply = answer(msg, q.end, known ? 0 : 3, known && q.type === TYPE_A ? rdata : null, q.type, ttl);
    const send = (): void => socket.send(reply, peer.port, peer.address);
    if (delayMs === 0) return send();
    const timer = setTimeout(() => {
      pending.delete(timer);
      send();
    }, delayMs);
    pending.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port ?? 0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // A crawl's first burst (hundreds of connections, an A and an AAAA query each) overflows the
  // default 208 KiB receive buffer: ask for more, so that a lost query is the client's doing.
  try {
    socket.setRecvBufferSize(4 << 20);
  } catch {
    // Capped by net.core.rmem_max: keep what we got.
  }
  const port = socket.address().port;
  return {
    host,
    port,
    server: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    counts,
    queriesFor: (name) => perName.get(name.toLowerCase()) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pending) clearTimeout(timer);
        socket.close(() => resolve());
      }),
  };
}
