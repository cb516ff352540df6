// The `lookup` a run's connections use, for the connect options in dispatcher.ts (plain Agent
// and the proxy / HTTP/2 / --cacert dispatcher alike). Without --dns-server: none, so Node's
// getaddrinfo answers as it always has (nsswitch, gai.conf; the README's "DNS" section says why
// that stays the default) and the resolver is never loaded (lru-cache costs ~10 ms of start-up).
// With it: one CachingResolver per run (resolver.ts), /etc/hosts read once, here.

import type { LookupFunction } from 'node:net';
import type { DnsServer } from './dns-option.js';

type DnsConfig = { readonly dnsServers: readonly DnsServer[] | null };

const perConfig = new WeakMap<object, { lookup: LookupFunction }>();

/** Builds the run's resolver when the config asks for one; call before dnsConnectOptions(). */
export async function prepareDns(cfg: DnsConfig): Promise<void> {
  if (cfg.dnsServers === null || perConfig.has(cfg)) return;
  const [{ CachingResolver }, { loadHosts }] = await Promise.all([import('./resolver.js'), import('./hosts-file.js')]);
  perConfig.set(cfg, { lookup: new CachingResolver({ servers: cfg.dnsServers, hosts: loadHosts() }).lookup as LookupFunction });
}

/** `{ lookup }` for net/tls.connect, or `{}` for getaddrinfo. */
export function dnsConnectOptions(cfg: DnsConfig): { lookup?: LookupFunction } {
  if (cfg.dnsServers === null) return {};
  const options = perConfig.get(cfg);
  if (options === undefined) throw new Error('bug: prepareDns() was not awaited before the dispatcher was built');
  return options;
}
