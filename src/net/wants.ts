// Which network options need net/proxy-h2-ca.ts's dispatcher. Tiny and import-free so the run
// can ask without loading undici's index.

/** The options that need proxy-h2-ca.ts's dispatcher (a proxy, HTTP/2, extra CAs). */
export interface NetworkOptions {
  readonly proxy: string | null;
  readonly http2: boolean;
  readonly cacert: string | null;
  readonly insecure: boolean;
}

const PROXY_VARS = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy'] as const;

export function envProxySet(env: NodeJS.ProcessEnv = process.env): boolean {
  return PROXY_VARS.some((name) => (env[name] ?? '') !== '');
}

export function needsNetworkDispatcher(o: NetworkOptions, env: NodeJS.ProcessEnv = process.env): boolean {
  return o.proxy !== null || o.http2 || o.cacert !== null || envProxySet(env);
}
