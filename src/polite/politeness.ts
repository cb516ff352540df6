// Wires the politeness and long-crawl stages between the pool and the fetcher, so the run core
// (run/core.ts) only calls `front()` for each job and `finished()` for each ended request. Built only when
// one of the options is set: a default run never loads this module.
//
// Order for each input line:  shard (not mine: no record) -> resume (already final: no record)
//   -> dedupe (seen: a "skipped":"duplicate" record) -> invalid URL (the core's record)
//   -> gate (per-host limit, rates, host pause, robots) -> fetcher.

import type { CrawlConfig } from '../config.js';
import type { Job } from '../input.js';
import { Deduper } from './dedupe.js';
import { loadHasher, type Hasher } from './hash.js';
import { HostGate, type GateHooks, type GateStats, type HostRules, type RemoteLimits } from './host-gate.js';
import { CrawlError } from '../errors.js';
import type { HopPolicy } from '../fetcher.js';
import type { ResumeState } from './resume.js';
import { RobotsCache, type RobotsOptions } from './robots.js';
import { inShard } from './shard.js';
import { wantsGate, waitingRoomSize } from './wants.js';

export interface PoliteHooks {
  /** Writes a record and releases the job's pool slot. */
  duplicate(job: Job): void;
  /** Releases the pool slot of a job that gets no record (other shard, resumed). */
  drop(job: Job): void;
  launch: GateHooks['launch'];
  refuse: GateHooks['refuse'];
  resume: GateHooks['resume'];
}

export interface PoliteSummary {
  rate?: { target: number; achieved: number | null };
  perHostRate?: { target: number; maxAchieved: number | null };
  perHost?: number;
  hostPauses?: number;
  robots?: { origins: number; rules: number; allowAll: number; disallowAll: number; disallowedUrls: number };
  dedupe?: { duplicates: number; distinct: number; tableBytes: number };
  resume?: { file: string; alreadyFinal: number; skipped: number; tornBytesCut: number; unreadableLines: number };
  shard?: { k: number; n: number; taken: number; others: number };
}

export class Politeness {
  /** The host gate, once attach() built it; null when no gate option is set. */
  gate: HostGate | null = null;
  readonly #cfg: CrawlConfig;
  #hooks: PoliteHooks | null = null;
  readonly #hasher: Hasher | null;
  readonly #dedupe: Deduper | null;
  readonly #resume: ResumeState | null;
  readonly #robots: RobotsCache | null;
  readonly #remote: RemoteLimits | undefined;
  #resumed = 0;
  #taken = 0;
  #others = 0;

  private constructor(
    cfg: CrawlConfig,
    hasher: Hasher | null,
    resume: ResumeState | null,
    robots: RobotsCache | null,
    remote: RemoteLimits | undefined,
  ) {
    this.#cfg = cfg;
    this.#hasher = hasher;
    this.#resume = resume;
    this.#robots = robots;
    this.#remote = remote;
    this.#dedupe = cfg.dedupe && hasher !== null ? new Deduper(hasher) : null;
  }

  /**
   * Loads the hasher before the crawl starts. `resume`: what --resume's file already holds (the
   * local crawl reads it, cutting a torn tail, before it opens the file to append).
   * `remote`: start limits kept in another process (sweep work's Redis rates); it builds the gate.
   */
  static async create(
    cfg: CrawlConfig,
    robots: Omit<RobotsOptions, 'timeoutMs' | 'maxConcurrent'>,
    remote?: RemoteLimits,
    resume: ResumeState | null = null,
  ): Promise<Politeness> {
    const hasher = cfg.dedupe || cfg.shard !== null ? await loadHasher() : null;
    const cache = cfg.robots ? new RobotsCache({ ...robots, timeoutMs: cfg.timeoutMs, maxConcurrent: cfg.concurrency }) : null;
    return new Politeness(cfg, hasher, resume, cache, remote);
  }

  /** Connects the stages to the run (run/core.ts) and builds the host gate when one is wanted. */
  attach(hooks: PoliteHooks): void {
    const cfg = this.#cfg;
    const robots = this.#robots;
    const remote = this.#remote;
    this.#hooks = hooks;
    if (!wantsGate(cfg) && remote === undefined) return;
    this.gate = new HostGate(
      {
        concurrency: cfg.concurrency,
        perHost: cfg.perHost ?? Infinity,
        rate: cfg.rate,
        perHostRate: cfg.perHostRate,
        waitingRoom: waitingRoomSize(cfg.concurrency),
        maxPauseMs: cfg.retryMaxDelayMs,
        defaultPauseMs: Math.max(cfg.retryDelayMs, 1),
        ...(remote === undefined ? {} : { remote }),
      },
      {
        launch: hooks.launch,
        refuse: hooks.refuse,
        resume: hooks.resume,
        ...(robots === null ? {} : { rules: (origin: string) => robots.rules(origin) }),
      },
    );
  }

  /** Where the pool hands each job. Returns false when the core should go on as without options. */
  front(job: Job): boolean {
    const shard = this.#cfg.shard;
    if (shard !== null) {
      if (!inShard(job.url, shard, this.#hasher!)) {
        this.#others++;
        this.#hooks!.drop(job);
        return true;
      }
      this.#taken++;
    }
    // Dedupe remembers every URL, resumed ones included, so a later copy of a URL finished
    // in the previous run is still a duplicate.
    const duplicate = this.#dedupe !== null && job.target !== null && this.#dedupe.seen(job.target);
    if (this.#resume !== null && this.#resume.final.has(job.line)) {
      this.#resumed++;
      this.#hooks!.drop(job);
      return true;
    }
    if (duplicate) {
      this.#hooks!.duplicate(job);
      return true;
    }
    if (this.gate === null || job.target === null) return false;
    this.gate.admit(job);
    return true;
  }

  /**
   * With --robots, every redirect hop is checked against its own origin's robots.txt before it
   * is requested (fetched once per origin, shared with the gate); null without --robots.
   */
  hopPolicy(): HopPolicy | null {
    const robots = this.#robots;
    if (robots === null) return null;
    return (job, next) => {
      const hop: Job = { line: job.line, url: job.url, target: next, invalid: null };
      const verdict = (rules: HostRules): CrawlError | null =>
        rules.allowed(hop) ? null : new CrawlError('robots_disallowed', `redirect to ${next.origin}${next.path} refused: ${rules.reason}`);
      return robots.rules(next.origin).then(verdict);
    };
  }

  /** A request launched by the gate ended. */
  finished(job: Job): void {
    this.gate?.finished(job);
  }

  summary(): PoliteSummary {
    const cfg = this.#cfg;
    const out: PoliteSummary = {};
    const g: GateStats | null = this.gate?.stats() ?? null;
    if (cfg.rate !== null) out.rate = { target: cfg.rate, achieved: round2(g?.achievedRate ?? null) };
    if (cfg.perHostRate !== null) out.perHostRate = { target: cfg.perHostRate, maxAchieved: round2(g?.maxHostRate ?? null) };
    if (cfg.perHost !== null) out.perHost = cfg.perHost;
    if (g !== null) out.hostPauses = g.pauses;
    if (this.#robots !== null) {
      const o = this.#robots.outcomes;
      out.robots = { origins: o.rules + o.allowAll + o.disallowAll, rules: o.rules, allowAll: o.allowAll, disallowAll: o.disallowAll, disallowedUrls: g?.refused ?? 0 };
    }
    if (this.#dedupe !== null) out.dedupe = { duplicates: this.#dedupe.duplicates, distinct: this.#dedupe.distinct, tableBytes: this.#dedupe.bytes };
    if (this.#resume !== null) {
      out.resume = { file: cfg.resume!, alreadyFinal: this.#resume.final.size, skipped: this.#resumed, tornBytesCut: this.#resume.tornBytes, unreadableLines: this.#resume.unreadable };
    }
    if (cfg.shard !== null) out.shard = { ...cfg.shard, taken: this.#taken, others: this.#others };
    return out;
  }
}

function round2(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}

/** The summary's extra lines for people. */
export function formatPoliteSummary(s: PoliteSummary): string {
  const lines: string[] = [];
  const rate = (n: number | null): string => (n === null ? 'n/a' : `${n}/s`);
  if (s.rate) lines.push(`  rate           target ${s.rate.target}/s  achieved ${rate(s.rate.achieved)}`);
  if (s.perHostRate) lines.push(`  per-host rate  target ${s.perHostRate.target}/s  achieved (busiest host) ${rate(s.perHostRate.maxAchieved)}`);
  if (s.perHost !== undefined) lines.push(`  per host       at most ${s.perHost} in flight`);
  if (s.hostPauses !== undefined && s.hostPauses > 0) lines.push(`  host pauses    ${s.hostPauses} (429 / 503 with Retry-After)`);
  if (s.robots) {
    const r = s.robots;
    lines.push(`  robots.txt     ${r.origins} origins (${r.rules} with rules, ${r.allowAll} allow all, ${r.disallowAll} unreachable: disallow all), ${r.disallowedUrls} URLs disallowed`);
  }
  if (s.dedupe) lines.push(`  dedupe         ${s.dedupe.duplicates} duplicates skipped, ${s.dedupe.distinct} distinct URLs (${s.dedupe.tableBytes} bytes of hashes)`);
  if (s.resume) {
    const r = s.resume;
    lines.push(`  resume         ${r.skipped} lines already done in ${r.file}` + (r.tornBytesCut > 0 ? ` (cut a torn last line of ${r.tornBytesCut} bytes)` : ''));
  }
  if (s.shard) lines.push(`  shard          ${s.shard.k}/${s.shard.n}: ${s.shard.taken} lines taken, ${s.shard.others} left to other shards`);
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
