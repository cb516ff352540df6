// The `lookup` a run's connections use, for the connect options in dispatcher.ts (plain and
// proxy / HTTP/2 dispatchers alike). Without --dns-server: none, so Node's getaddrinfo answers as
// it always has (nsswitch, gai.conf; the README's "DNS" section says why that stays the default)
// and the resolver is never loaded (lru-cache costs ~10 ms of start-up). With it: one
// CachingResolver per run (resolver.ts), /etc/hosts read once, here.

import type { LookupFunction } from 'node:net';
import type { DnsServer } from './dns-option.js';

/** `{ lookup }` for net/tls.connect when --dns-server is given, or `{}` for getaddrinfo. */
export async function dnsConnectOptions(dnsServers: readonly DnsServer[] | null): Promise<{ lookup?: LookupFunction }> {
  if (dnsServers === null) return {};
  const [{ CachingResolver }, { loadHosts }] = await Promise.all([import('./resolver.js'), import('./hosts-file.js')]);
  return { lookup: new CachingResolver({ servers: dnsServers, hosts: loadHosts() }).lookup as LookupFunction };
}
