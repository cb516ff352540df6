// Shared test plumbing: run the real CLI as a child process, collect its records.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { CrawlRecord } from '../src/record.js';
import { startTestbed, type Testbed } from '../src/testbed.js';

export const BIN = fileURLToPath(new URL('../bin/sweep.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON (throws if it is not). */
  readonly records: CrawlRecord[];
}

export interface RunOptions {
  stdin?: string;
  env?: Record<string, string>;
  /** Leave the child's stdin open (an endless pipe); by default it is ended after `stdin`. */
  keepStdinOpen?: boolean;
  /** Called once the child is spawned (to send signals, etc.). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
}

export function parseRecords(text: string): CrawlRecord[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CrawlRecord);
}

export function runCli(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout,
        stderr,
        get records() {
          return parseRecords(stdout);
        },
      });
    });
    opts.onSpawn?.(child);
    if (opts.keepStdinOpen) child.stdin.on('error', () => {});
    else if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

/** Runs the CLI and sends `signal` once `file` has grown to `bytes` (watched, not polled). */
export function runAndKill(args: string[], file: string, bytes: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<RunResult> {
  return runCli(args, {
    onSpawn(child) {
      const check = (): void => {
        if (existsSync(file) && statSync(file).size >= bytes) {
          watcher.close();
          child.kill(signal);
        }
      };
      const watcher = watch(dirname(file), check);
      child.once('exit', () => watcher.close());
      check();
    },
  });
}

/** Writes lines to a fresh temp file and returns its path. */
export function tempList(lines: readonly string[], name = 'urls.txt'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-test-'));
  const path = join(dir, name);
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sweep-test-'));
}

/**
 * A testbed on loopback for the tests of one file: started before them, closed after, counters
 * reset before each. Read `bed.tb` inside tests.
 */
export function useTestbed(): { readonly tb: Testbed } {
  const bed = { tb: undefined as unknown as Testbed };
  beforeAll(async () => {
    bed.tb = await startTestbed();
  });
  afterAll(async () => {
    await bed.tb.close();
  });
  beforeEach(() => bed.tb.resetCounters());
  return bed;
}
