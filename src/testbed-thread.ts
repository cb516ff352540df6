// Runs the testbed on a worker thread, so the crawler and the server it measures do not share
// one event loop (on 2 cores, each gets its own). Used by `npm start` (demo) and `sweep bench`.

import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';

export interface CountersSnapshot {
  connections: number;
  requests: number;
  inFlight: number;
  maxInFlight: number;
}

export interface TestbedThread {
  readonly url: string;
  counters(): Promise<CountersSnapshot>;
  resetCounters(): Promise<void>;
  close(): Promise<void>;
}

type Reply = { type: 'ready'; url: string } | { type: 'counters'; counters: CountersSnapshot } | { type: 'reset' };

export async function startTestbedThread(): Promise<TestbedThread> {
  const worker = new Worker(new URL('./testbed-worker.js', import.meta.url));
  return connect(worker, (message) => worker.postMessage(message), async () => {
    await worker.terminate();
  });
}

/**
 * The same testbed in a child process. `sweep bench` uses it: process.cpuUsage() counts every
 * thread of a process, so with the server on a worker thread "CPU per 1,000 requests" would
 * include the server's work.
 */
export async function startTestbedProcess(): Promise<TestbedThread> {
  const child: ChildProcess = fork(new URL('./testbed-worker.js', import.meta.url), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  return connect(child, (message) => child.send(message as never), () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill();
    }),
  );
}

async function connect(
  peer: Worker | ChildProcess,
  post: (message: unknown) => void,
  close: () => Promise<void>,
): Promise<TestbedThread> {
  // One error listener for all questions (a listener per question would pile up over a bench).
  const waiters: { resolve: (reply: Reply) => void; reject: (err: unknown) => void }[] = [];
  peer.on('message', (reply: Reply) => waiters.shift()?.resolve(reply));
  peer.on('error', (err) => {
    for (const w of waiters.splice(0)) w.reject(err);
  });
  const ask = (message: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      waiters.push({ resolve, reject });
      if (message !== null) post(message);
    });
  const ready = await ask(null);
  if (ready.type !== 'ready') throw new Error('testbed thread did not start');
  return {
    url: ready.url,
    async counters() {
      const reply = await ask({ type: 'counters' });
      if (reply.type !== 'counters') throw new Error('unexpected testbed reply');
      return reply.counters;
    },
    async resetCounters() {
      await ask({ type: 'reset' });
    },
    close,
  };
}
