#!/usr/bin/env node
// The DNS responder of the dns scenario of bench:native (bench/native/dns.sh): src/testbed-dns.ts
// from dist/, answering A queries for h<N>.crawl.test with 127.0.0.1 after a set delay (a
// resolver a round trip away) and NXDOMAIN otherwise, plus a status port for the query counts.
//
//   node bench/dns-server.mjs [--host 127.0.0.1] [--port 0] [--delay 20] [--ttl 300]
//
// Prints one line when ready: `dns <port> status <port>`. `GET /` on the status port (HTTP/1.0
// is enough, the bench uses bash's /dev/tcp) answers `<A> <AAAA> <other>`: queries so far.
// Ends on SIGTERM / SIGINT.

import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { startDnsTestbed } from '../dist/testbed-dns.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    delay: { type: 'string', default: '20' },
    ttl: { type: 'string', default: '300' },
  },
});

const dns = await startDnsTestbed({ host: values.host, port: Number(values.port), delayMs: Number(values.delay), ttl: Number(values.ttl) });
const status = createServer((_req, res) => {
  res.end(`${dns.counts.A} ${dns.counts.AAAA} ${dns.counts.other}\n`);
});
await new Promise((resolve) => status.listen(0, '127.0.0.1', resolve));
process.stdout.write(`dns ${dns.port} status ${status.address().port}\n`);

const stop = async () => {
  status.close();
  await dns.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
