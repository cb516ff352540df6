// --dns-server: which DNS servers sweep asks, through c-ares (see resolver.ts). Import-light so
// cli.ts can validate argv without loading the resolver.
//
// A value is a comma-separated list of `host[:port]` where host is an IP address (a name would
// need a resolver to find the resolver): `10.0.0.2`, `10.0.0.2:5353`, `::1`, `[::1]:5353`.
// A bare IPv6 address takes no port (`::1:53` is itself an address); brackets give it one.

import { isIP } from 'node:net';
import { UsageError } from '../errors.js';

export interface DnsServer {
  readonly host: string;
  readonly port: number;
}

const EXAMPLE = 'Expected IP[:port] of a DNS server, comma-separated, e.g. 10.0.0.2,10.0.0.3:5353 or [::1]:5353.';

function portOf(text: string, part: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new UsageError(`'${part}': the port must be from 1 to 65535. ${EXAMPLE}`);
  return port;
}

function serverOf(part: string): DnsServer {
  // c-ares drops an IPv6 zone (`fe80::1%eth0`) without a word: refuse it rather than ignore it.
  if (part.includes('%')) throw new UsageError(`'${part}': IPv6 zone IDs are not supported. ${EXAMPLE}`);
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(part);
  if (bracketed !== null) {
    const host = bracketed[1] ?? '';
    if (isIP(host) !== 6) throw new UsageError(`'${part}' is not an IPv6 address in brackets. ${EXAMPLE}`);
    return { host, port: bracketed[2] === undefined ? 53 : portOf(bracketed[2], part) };
  }
  if (isIP(part) !== 0) return { host: part, port: 53 };
  const colon = part.lastIndexOf(':');
  if (colon > 0 && isIP(part.slice(0, colon)) === 4) return { host: part.slice(0, colon), port: portOf(part.slice(colon + 1), part) };
  throw new UsageError(`'${part}' is not an IP address. ${EXAMPLE}`);
}

/** Parses a --dns-server value (see the header). Throws UsageError naming the bad part. */
export function parseDnsServers(raw: string): DnsServer[] {
  const parts = raw.split(',').map((part) => part.trim());
  if (parts.some((part) => part === '')) throw new UsageError(`an empty server in '${raw}'. ${EXAMPLE}`);
  return parts.map(serverOf);
}

/** The form c-ares' setServers() takes: `1.2.3.4`, `1.2.3.4:5353`, `[::1]:5353`. */
export function serverString(s: DnsServer): string {
  const host = isIP(s.host) === 6 ? `[${s.host}]` : s.host;
  return s.port === 53 && isIP(s.host) === 4 ? host : `${host}:${s.port}`;
}
