// Entry point of the testbed thread (see testbed-thread.ts). The same file runs as a child
// process (startTestbedProcess), talking over the IPC channel instead of parentPort.

import { parentPort } from 'node:worker_threads';
import { startTestbed } from './testbed.js';

const send = (message: unknown): void => {
  if (parentPort) parentPort.postMessage(message);
  else process.send!(message);
};
const testbed = await startTestbed({ port: 0 });
// A child process ends with its parent: the IPC channel closes when the parent goes away.
if (!parentPort) process.once('disconnect', () => process.exit(0));
send({ type: 'ready', url: testbed.url });
const onMessage = (message: { type: string }): void => {
  const c = testbed.counters;
  if (message.type === 'counters') {
    send({
      type: 'counters',
      counters: { connections: c.connections, requests: c.requests, inFlight: c.inFlight, maxInFlight: c.maxInFlight },
    });
  } else if (message.type === 'reset') {
    testbed.resetCounters();
    send({ type: 'reset' });
  }
};
if (parentPort) parentPort.on('message', onMessage);
else process.on('message', onMessage);
