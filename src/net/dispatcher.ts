// The dispatcher every request of a run goes through, built once from the config. A plain run
// gets sweep's OriginDispatcher (origin-dispatcher.ts: undici Clients in a free list per origin)
// with sweep's tagging connector (keepalive.ts), --cacert's CA included; a proxy, HTTP_PROXY and
// friends or --http2 get proxy-h2-ca.ts's dispatcher, loaded only then (it needs
// undici's index, ~70 ms of start-up). Local crawls and Redis workers both come here, so the
// two cannot drift (a worker used to ignore HTTP_PROXY).

import type { LookupFunction } from 'node:net';
import type { Agent as UndiciAgent, Dispatcher } from 'undici';
import type { CrawlConfig } from '../config.js';
import { taggingConnector } from '../keepalive.js';
import { OriginDispatcher } from './origin-dispatcher.js';
import { needsNetworkDispatcher } from './wants.js';
import { dnsConnectOptions } from './dns-setup.js';
import { secureContextWithCa } from './tls-connector.js';

/** `dns`: dns-setup.ts's connect options (a --dns-server lookup, or none). */
export function agentOptions(cfg: CrawlConfig, dns: { lookup?: LookupFunction }): UndiciAgent.Options {
  return {
    // At least as many sockets per origin as requests in flight, so a one-host list reaches
    // full concurrency; keep-alive reuses them.
    connections: cfg.concurrency,
    pipelining: 1,
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    // Idle timeouts as a cheap backstop; the per-attempt total is the DeadlineQueue's.
    headersTimeout: cfg.timeoutMs,
    bodyTimeout: cfg.timeoutMs,
    // --dns-server's cached c-ares lookup reaches both connectors through here (dns-setup.ts).
    connect: { timeout: cfg.timeoutMs, rejectUnauthorized: !cfg.insecure, ...dns },
  };
}

/**
 * Idle keep-alive connections kept across origins: IDLE_PER_SLOT per request in flight. Measured on
 * the origins scenario of bench:native (1,000 origins, -c 256).
 */
const IDLE_PER_SLOT = 16;
/** How long an idle connection is kept when the server sends no Keep-Alive hint (undici's default: 4 s). */
const IDLE_KEEP_MS = 30_000;

/** The plain dispatcher: the Agent's options, one Client per connection, free lists per origin. */
function createOriginDispatcher(cfg: CrawlConfig, dns: { lookup?: LookupFunction }): OriginDispatcher {
  const { connections, connect, ...client } = agentOptions(cfg, dns);
  const tls = connect as { timeout: number; rejectUnauthorized: boolean };
  const ca = cfg.cacert === null ? {} : { secureContext: secureContextWithCa(cfg.cacert) };
  return new OriginDispatcher({
    connections: connections!,
    maxIdle: IDLE_PER_SLOT * cfg.concurrency,
    client: { ...client, keepAliveTimeout: IDLE_KEEP_MS, connect: taggingConnector({ ...tls, ...ca }) },
  });
}

/** The run's dispatcher: the plain one, or the proxy / HTTP/2 one when an option needs it. */
export async function createDispatcher(cfg: CrawlConfig): Promise<Dispatcher> {
  const dns = await dnsConnectOptions(cfg.dnsServers);
  if (!needsNetworkDispatcher(cfg)) return createOriginDispatcher(cfg, dns);
  const { buildDispatcher } = await import('./proxy-h2-ca.js');
  return buildDispatcher(cfg, agentOptions(cfg, dns));
}
