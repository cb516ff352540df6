// Runs the testbed on a worker thread, so the crawler and the server it measures do not share
// one event loop (on 2 cores, each gets its own). Used by `npm start` (demo) and `sweep bench`.

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
  const waiters: ((reply: Reply) => void)[] = [];
  worker.on('message', (reply: Reply) => waiters.shift()?.(reply));
  const ask = (message: unknown): Promise<Reply> =>
    new Promise((resolve, reject) => {
      waiters.push(resolve);
      worker.once('error', reject);
      if (message !== null) worker.postMessage(message);
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
    async close() {
      await worker.terminate();
    },
  };
}
