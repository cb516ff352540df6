// The dispatcher when a network option is in play: --proxy (undici ProxyAgent), the standard
// HTTP_PROXY / HTTPS_PROXY / NO_PROXY variables (undici EnvHttpProxyAgent), --http2 (allowH2:
// HTTP/2 when the server offers it over TLS) and --cacert (extra trusted CAs for internal hosts).
// Without any of them dispatcher.ts builds its plain Agent and never loads this file (nor
// undici's index, ~70 ms of start-up): wants.ts says whether it is needed.

import { createRequire } from 'node:module';
import { createSecureContext } from 'node:tls';
import type * as Undici from 'undici';
import type { buildConnector as BuildConnector, Dispatcher } from 'undici';
import { tagSockets, taggingConnector } from '../keepalive.js';
import { secureContextWithCa } from './tls-connector.js';
import { envProxySet, type NetworkOptions } from './wants.js';

// Required, not imported: an ESM import of undici's CommonJS index runs Node's export lexer over
// it first (import 155-180 ms, require 111-140 here).
const { Agent, Client, EnvHttpProxyAgent, Pool, ProxyAgent } = createRequire(import.meta.url)('undici') as typeof Undici;

/**
 * The proxy agents' `factory`: undici's own choice of Client or Pool for an origin, with the
 * connection's socket errors tagged (keepalive.ts), so that a request written on a kept tunnel
 * the server (or the proxy) was closing is re-sent at once, as on the direct path. The
 * connector is the proxy agent's (a CONNECT tunnel, then TLS for https), or for origins
 * NO_PROXY exempts, sweep's own over the connect options.
 */
function taggedFactory(origin: string | URL, opts: Undici.Pool.Options): Dispatcher {
  const given = opts.connect;
  // undici's Pool gives its connector allowH2 from the pool's options: so must this one.
  const connect =
    typeof given === 'function' ? tagSockets(given) : taggingConnector({ ...(given ?? {}), allowH2: opts.allowH2 } as BuildConnector.BuildOptions);
  return opts.connections === 1 ? new Client(origin, { ...opts, connect }) : new Pool(origin, { ...opts, connect });
}

// undici's ProxyAgent adds a `host` header to the headers object it is given, in place. The
// fetcher shares one frozen headers object between all requests, so the proxy dispatchers get
// a copy per request (only on this path; the plain Agent never mutates them).
class CopyingProxyAgent extends ProxyAgent {
  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return super.dispatch({ ...opts, headers: { ...(opts.headers as Record<string, string>) } }, handler);
  }
}

class CopyingEnvHttpProxyAgent extends EnvHttpProxyAgent {
  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return super.dispatch({ ...opts, headers: { ...(opts.headers as Record<string, string>) } }, handler);
  }
}

/** Builds the dispatcher from dispatcher.ts's Agent options plus the network options. */
export function buildDispatcher(o: NetworkOptions, base: Undici.Agent.Options, env: NodeJS.ProcessEnv = process.env): Dispatcher {
  // One SecureContext for the run, on every path (direct, HTTP/2, the proxy agents): `ca` in the
  // connect options made Node build a new context, parsing every root certificate, for each
  // connection (37% of sweep's CPU on a TLS crawl); without `ca` Node still builds one per
  // connection (~0.5 ms each).
  const secureContext = o.cacert === null ? createSecureContext() : secureContextWithCa(o.cacert);
  const tls = { ...(base.connect as object), secureContext };
  const options = { ...base, connect: tls, allowH2: o.http2 };
  const proxied = { ...options, requestTls: tls, proxyTls: tls, factory: taggedFactory };
  if (o.proxy !== null) return new CopyingProxyAgent({ ...proxied, uri: o.proxy });
  if (envProxySet(env)) return new CopyingEnvHttpProxyAgent(proxied as never);
  // One connector for every origin: given connect *options*, the Agent builds a connector (and
  // with it a session cache) per origin's Pool, and drops both when the origin's last connection
  // closes. tls-connector.ts keeps the sessions; allowH2 goes to the connector, which offers ALPN.
  // The connector tags a reused socket's errors (keepalive.ts), so that a request written on a
  // keep-alive socket the server was closing is re-sent, as on the plain path.
  // (The proxy agents above get the one SecureContext through requestTls / proxyTls, and their
  // sockets tagged through taggedFactory, but their sessions stay in undici's weakly held cache.)
  return new Agent({ ...options, connect: taggingConnector({ ...tls, allowH2: o.http2 }) });
}
