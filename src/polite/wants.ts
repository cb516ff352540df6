// Which politeness stages and which network dispatcher a config needs. Tiny and import-free so
// crawl.ts can ask without loading them: a run without these options loads and runs none of the
// rest of src/polite.

import type { CrawlConfig } from '../config.js';

export function wantsPoliteness(cfg: CrawlConfig): boolean {
  return cfg.perHost !== null || cfg.rate !== null || cfg.perHostRate !== null || cfg.robots || cfg.dedupe || cfg.resume !== null || cfg.shard !== null;
}

export function wantsGate(cfg: CrawlConfig): boolean {
  return cfg.perHost !== null || cfg.rate !== null || cfg.perHostRate !== null || cfg.robots;
}

/** Parked jobs the gate holds before input reading pauses. */
export function waitingRoomSize(concurrency: number): number {
  return Math.max(1024, 4 * concurrency);
}

/** The options that need polite/network.ts's dispatcher (a proxy, HTTP/2, extra CAs). */
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
