// Shared plumbing of the distributed tests: a real redis-server per test file (redis-helper.ts),
// a fresh queue name per test, the CLI's distributed commands, and the worker's closing line.

import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { queueKeys, type QueueKeys } from '../src/distributed/redis.js';
import type { CrawlRecord } from '../src/record.js';
import { parseRecords, runCli, tempDir, tempList } from './helpers.js';
import { redisOrSkip, startRedis, type RedisServer } from './redis-helper.js';

export interface RedisQueue {
  /** False on a dev box without redis-server: wrap the tests in describe.runIf(haveRedis). */
  readonly haveRedis: boolean;
  readonly server: RedisServer;
  /** A client of the test's own, to look at the keys. */
  readonly redis: Redis;
  /** This test's queue name (a new one before each test). */
  readonly name: string;
  readonly keys: QueueKeys;
  /** `--redis <url> --queue <name>` for this test's queue. */
  args(): string[];
}

/** Starts a redis-server for the file and names a fresh queue before each test. */
export function useRedisQueue(prefix: string): RedisQueue {
  const haveRedis = redisOrSkip();
  let n = 0;
  const state = { server: undefined as unknown as RedisServer, redis: undefined as unknown as Redis, name: '' };
  beforeAll(async () => {
    if (!haveRedis) return;
    state.server = await startRedis();
    state.redis = new Redis(state.server.url);
  });
  afterAll(async () => {
    if (!haveRedis) return;
    state.redis.disconnect();
    await state.server.stop();
  });
  beforeEach(() => {
    state.name = `${prefix}${++n}`;
  });
  return {
    haveRedis,
    get server() {
      return state.server;
    },
    get redis() {
      return state.redis;
    },
    get name() {
      return state.name;
    },
    get keys() {
      return queueKeys(state.name);
    },
    args: () => ['--redis', state.server.url, '--queue', state.name],
  };
}

export async function enqueueUrls(q: RedisQueue, urls: string[]): Promise<void> {
  const e = await runCli(['enqueue', ...q.args(), tempList(urls)]);
  expect(e.code).toBe(0);
}

/** `sweep results` of the queue (without --trim), parsed. */
export async function exportedRecords(q: RedisQueue): Promise<CrawlRecord[]> {
  const out = join(tempDir(), 'results.ndjson');
  const r = await runCli(['results', ...q.args(), '-o', out]);
  expect(r.code).toBe(0);
  return parseRecords(readFileSync(out, 'utf8'));
}

/** The worker's closing line: "worker NAME: W records written ..., R entries reclaimed ..., S resumed, D already done elsewhere". */
export function workerLine(stderr: string): { written: number; reclaimed: number; resumed: number; dropped: number } {
  const m = /(\d+) records written .*?, (\d+) entries reclaimed .*?, (\d+) resumed, (\d+) already done elsewhere/.exec(stderr);
  if (m === null) throw new Error(`no worker summary in:\n${stderr}`);
  return { written: Number(m[1]), reclaimed: Number(m[2]), resumed: Number(m[3]), dropped: Number(m[4]) };
}

/** Polls `done` (a look at a server the test runs) every 20 ms until it holds; fails if `child` ends first. */
export async function until(done: () => boolean | Promise<boolean>, child?: ChildProcess): Promise<void> {
  while (!(await done())) {
    if (child !== undefined && child.exitCode !== null) throw new Error('the worker ended before the awaited state');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export const sortedLines = (records: { line: number }[]): number[] => records.map((r) => r.line).sort((a, b) => a - b);
export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
