// The floor of sweep's stack: Node plus undici's Agent and nothing else. It keeps C requests
// in flight with Agent.dispatch and a do-nothing handler, reads no stream, writes no record,
// keeps no statistics, has no timeout and no retry. bench/native.sh runs it next to sweep and
// wget2 so that each run shows how much of the gap to the C peer is sweep's and how much is
// the runtime's.
// Usage: node bench/bare-undici.mjs LIST CONCURRENCY      (exit 1 if any request failed)
// For https lists (bench/native/tls.sh): BARE_CA=path trusts that PEM CA as well as Node's roots,
// through one SecureContext made here (as sweep's --cacert does; `ca` in the connect options
// would make Node build one per connection); BARE_INSECURE=1 turns certificate checks off.
// Sessions are left to undici's default connector (its own session cache), as a bare Agent has.
// BARE_RECORDS=path adds the least a tool that reports must do per URL: time the request and
// write one JSON line (url, status, bytes, ms) to that file, 64 KiB at a time. The throughput
// scenario runs it too, to show what writing records alone costs the floor.

import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createSecureContext, rootCertificates } from 'node:tls';

// undici's Agent by file, not through the whole index (as sweep loads undici: src/undici-core.ts).
const Agent = createRequire(import.meta.url)('undici/lib/dispatcher/agent.js');

const [list, concArg] = process.argv.slice(2);
const urls = readFileSync(list, 'latin1').split('\n').filter((line) => line !== '');
const concurrency = Number(concArg);
const connect = {};
if (process.env.BARE_CA) connect.secureContext = createSecureContext({ ca: [...rootCertificates, readFileSync(process.env.BARE_CA, 'utf8')] });
if (process.env.BARE_INSECURE === '1') connect.rejectUnauthorized = false;
const agent = new Agent({ connections: concurrency, pipelining: 1, connect });

let next = 0;
let done = 0;
let failed = 0;
const records = process.env.BARE_RECORDS ? openSync(process.env.BARE_RECORDS, 'w') : -1;
let pending = '';

function start() {
  if (records >= 0) {
    startRecorded();
    return;
  }
  const url = new URL(urls[next++]);
  agent.dispatch(
    { origin: url.origin, path: url.pathname, method: 'GET', headers: {} },
    {
      status: 0,
      onConnect() {},
      onHeaders(status) {
        this.status = status;
        return true;
      },
      onData() {
        return true;
      },
      onComplete() {
        if (this.status < 200 || this.status > 299) failed++;
        finish();
      },
      onError() {
        failed++;
        finish();
      },
    },
  );
}

function startRecorded() {
  const raw = urls[next++];
  const url = new URL(raw);
  const t0 = performance.now();
  agent.dispatch(
    { origin: url.origin, path: url.pathname, method: 'GET', headers: {} },
    {
      status: 0,
      bytes: 0,
      onConnect() {},
      onHeaders(status) {
        this.status = status;
        return true;
      },
      onData(chunk) {
        this.bytes += chunk.length;
        return true;
      },
      onComplete() {
        if (this.status < 200 || this.status > 299) failed++;
        const ms = Math.round((performance.now() - t0) * 100) / 100;
        pending += JSON.stringify({ url: raw, status: this.status, bytes: this.bytes, ms }) + '\n';
        if (pending.length >= 65536) {
          writeSync(records, pending);
          pending = '';
        }
        finish();
      },
      onError() {
        failed++;
        finish();
      },
    },
  );
}

function finish() {
  done++;
  if (next < urls.length) start();
  else if (done === urls.length) {
    if (records >= 0) {
      writeSync(records, pending);
      closeSync(records);
    }
    if (failed > 0) {
      process.stderr.write(`bare-undici: ${failed} of ${urls.length} requests failed\n`);
      process.exitCode = 1;
    }
    void agent.destroy();
  }
}

for (let i = 0; i < Math.min(concurrency, urls.length); i++) start();
