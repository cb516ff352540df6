// Entry point of the testbed thread (see testbed-thread.ts).

import { parentPort } from 'node:worker_threads';
import { startTestbed } from './testbed.js';

const port = parentPort!;
const testbed = await startTestbed({ port: 0 });
port.postMessage({ type: 'ready', url: testbed.url });
port.on('message', (message: { type: string }) => {
  const c = testbed.counters;
  if (message.type === 'counters') {
    port.postMessage({
      type: 'counters',
      counters: { connections: c.connections, requests: c.requests, inFlight: c.inFlight, maxInFlight: c.maxInFlight },
    });
  } else if (message.type === 'reset') {
    testbed.resetCounters();
    port.postMessage({ type: 'reset' });
  }
});
