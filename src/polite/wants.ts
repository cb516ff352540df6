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
