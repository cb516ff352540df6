// Which network options need net/proxy-h2-ca.ts's dispatcher. Tiny and import-free so the run
// can ask without loading undici's index. --cacert alone does not: the OriginDispatcher takes
// its SecureContext (dispatcher.ts), so an internal-CA crawl keeps the O(1) free lists.

/** The network options; a proxy or HTTP/2 needs proxy-h2-ca.ts's dispatcher (which also takes --cacert). */
export interface NetworkOptions {
  readonly proxy: string | null;
  readonly http2: boolean;
  readonly cacert: string | null;
}

const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'] as const;

export function envProxySet(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARS.some((name) => (env[name] ?? '') !== '');
}

export function needsNetworkDispatcher(o: NetworkOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return o.proxy !== null || o.http2 || envProxySet(env);
}
