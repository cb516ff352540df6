// A body --save-dir cannot keep (it does not decode) ends its save early; the fetch goes on and
// the run ends. Since bodies pause while a tap is backed up, a save that failed must stop counting
// as backed up: it emits no 'drain' again, and the run stalled for ever (exit 13, no record).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli, tempDir, tempList } from './helpers.js';

let server: Server;
let base = '';

beforeAll(async () => {
  // 4 MiB that claims to be gzip and is not, in 64 KiB writes honouring backpressure.
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    let left = 64;
    const pump = (): void => {
      while (left > 0) {
        left--;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('a body that does not decode: every URL gets its record, nothing saved, the run ends', { timeout: 60_000 }, async () => {
  const dir = join(tempDir(), 'mirror');
  const r = await runCli(['-q', '-c', '2', '--save-dir', dir, tempList([`${base}/a`, `${base}/b`, `${base}/c`])]);
  expect(r.code).toBe(0);
  expect(r.records).toHaveLength(3);
  for (const rec of r.records) {
    expect(rec).toMatchObject({ status: 200, bytes: 4 * 1024 * 1024 });
    expect((rec as unknown as Record<string, unknown>).saved).toBeUndefined();
  }
});
