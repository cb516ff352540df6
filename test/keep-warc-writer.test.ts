// The WARC writer against a real loopback server, fed the way the crawl's response seam will
// feed it: undici's raw dispatch (de-chunked bytes, content-encoding kept, raw header list).
// Every file is read back twice: by the independent reader in keep-warc-reader.ts and by warcio.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, gunzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { WARCParser } from 'warcio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WarcWriter, type WarcLocation, type WrittenResponse } from '../src/keep/warc-writer.js';
import { checkDigests, readWarc, splitHttp, type ReadRecord } from './keep-warc-reader.js';

const BIG = Buffer.alloc(100_000, 'b');
const GZ_TEXT = '<p>compressed page</p>'.repeat(50);
const GZ = gzipSync(GZ_TEXT);

let server: Server;
let origin: string;
const agent = new Agent({ keepAliveTimeout: 1000 });

beforeAll(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case '/plain':
        res.writeHead(200, 'Fine Thanks', { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': 11 }).end('hello plain');
        break;
      case '/chunked':
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('first part, ');
        setImmediate(() => res.end('second part'));
        break;
      case '/gzip':
        res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Encoding': 'gzip', 'Content-Length': GZ.length }).end(GZ);
        break;
      case '/redirect':
        res.writeHead(301, { Location: '/plain', 'Content-Length': 5 }).end('moved');
        break;
      case '/big':
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': BIG.length }).end(BIG);
        break;
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 8 }).end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address() as { port: number };
  origin = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await agent.close();
  await new Promise((resolve) => server.close(resolve));
});

interface Fetched {
  loc: WarcLocation | null;
  /** The payload bytes undici handed over (what the server sent, de-chunked). */
  payload: Buffer;
}

/** One exchange through undici's legacy dispatch handler, fed to the writer as the seam would. */
function fetchInto(warc: WarcWriter, path: string, opts: { cap?: number; headers?: [string, string][] } = {}): Promise<Fetched> {
  const url = origin + path;
  const headers: [string, string][] = [['host', new URL(url).host], ['user-agent', 'sweep-test'], ...(opts.headers ?? [])];
  const ex = warc.exchange({ url, method: 'GET', headers, date: new Date(), ip: '127.0.0.1' });
  const got: Buffer[] = [];
  let bytes = 0;
  return new Promise((resolve, reject) => {
    let abort: ((err?: Error) => void) | null = null;
    let truncated = false;
    agent.dispatch(
      { origin, path, method: 'GET', headers: Object.fromEntries(headers.filter(([n]) => n !== 'host')) },
      {
        onConnect: (a: (err?: Error) => void) => (abort = a),
        onHeaders: (status: number, raw: Buffer[], _resume: () => void, statusText: string) => {
          ex.head(status, statusText, raw);
          return true;
        },
        onData: (chunk: Buffer) => {
          if (opts.cap !== undefined && bytes + chunk.length > opts.cap) {
            chunk = chunk.subarray(0, opts.cap - bytes);
            truncated = true;
          }
          bytes += chunk.length;
          got.push(chunk);
          ex.data(chunk);
          if (truncated) {
            abort!(new Error('cap'));
            return false;
          }
          return true;
        },
        onComplete: () => {
          ex.end({ truncated: null }).then((loc) => resolve({ loc, payload: Buffer.concat(got) }), reject);
        },
        onError: (err: Error) => {
          if (truncated) ex.end({ truncated: 'length' }).then((loc) => resolve({ loc, payload: Buffer.concat(got) }), reject);
          else {
            ex.abort();
            reject(err);
          }
        },
      } as never,
    );
  });
}

async function warcioRecords(path: string): Promise<{ type: string; uri: string | null; content: string; headers: Record<string, string> }[]> {
  const out = [];
  for await (const record of new WARCParser(createReadStream(path))) {
    const content = record.warcType === 'response' ? await record.contentText() : (await record.readFully(), '');
    out.push({
      type: record.warcType,
      uri: record.warcTargetURI ?? null,
      content,
      headers: Object.fromEntries([...(record.warcHeaders.headers as Map<string, string>)].map(([k, v]) => [k.toLowerCase(), v])),
    });
  }
  return out;
}

const MODES = [
  { ext: '.warc.gz', worker: true },
  { ext: '.warc', worker: true },
  { ext: '.warc', worker: false },
  { ext: '.warc.gz', worker: false },
] as const;

describe.each(MODES)('WarcWriter ($ext, worker: $worker)', ({ ext, worker }) => {
  it('writes request/response pairs that both readers read back with the bytes the server sent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-'));
    const path = join(dir, `out${ext}`);
    const warc = await WarcWriter.open({ path, worker, info: { software: 'sweep/test', command: 'sweep --warc out' } });
    const written: WrittenResponse[] = [];
    const errors: Error[] = [];
    warc.onResponse = (r) => written.push(r);
    warc.onError = (e) => errors.push(e);
    const secrets: [string, string][] = [['authorization', 'Bearer s3cret'], ['cookie', 'session=abc']];
    const plain = await fetchInto(warc, '/plain', { headers: secrets });
    const chunked = await fetchInto(warc, '/chunked');
    const gz = await fetchInto(warc, '/gzip');
    const redirect = await fetchInto(warc, '/redirect');
    const missing = await fetchInto(warc, '/missing');
    const cut = await fetchInto(warc, '/big', { cap: 10_000 });
    await warc.close();
    expect(errors).toEqual([]);

    const file = readFileSync(path);
    const records = readWarc(file, ext.endsWith('.gz'));
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', ...Array(6).fill(['request', 'response']).flat()]);
    for (const r of records) checkDigests(r);
    const [info, ...pairs] = records as [ReadRecord, ...ReadRecord[]];
    expect(info.block.toString()).toContain('software: sweep/test\r\n');
    expect(info.headers.get('warc-filename')).toBe(`out${ext}`);
    const infoId = info.headers.get('warc-record-id');
    for (let i = 0; i < pairs.length; i += 2) {
      const [req, res] = [pairs[i]!, pairs[i + 1]!];
      expect(req.headers.get('warc-concurrent-to')).toBe(res.headers.get('warc-record-id'));
      expect(res.headers.get('warc-concurrent-to')).toBe(req.headers.get('warc-record-id'));
      expect(req.headers.get('warc-warcinfo-id')).toBe(infoId);
      expect(res.headers.get('warc-warcinfo-id')).toBe(infoId);
      expect(res.headers.get('warc-target-uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\w+$/);
      expect(res.headers.get('warc-ip-address')).toBe('127.0.0.1');
      expect(res.headers.get('warc-date')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(res.headers.get('content-type')).toBe('application/http;msgtype=response');
      expect(req.headers.get('content-type')).toBe('application/http;msgtype=request');
    }
    const byPath = (p: string): [ReadRecord, ReadRecord] => {
      const i = pairs.findIndex((r) => r.headers.get('warc-target-uri') === origin + p);
      return [pairs[i]!, pairs[i + 1]!];
    };

    // The request as sent, secrets redacted.
    const [plainReq, plainRes] = byPath('/plain');
    const reqHead = splitHttp(plainReq.block);
    expect(reqHead.lines[0]).toBe('GET /plain HTTP/1.1');
    expect(reqHead.lines).toContain(`host: 127.0.0.1:${new URL(origin).port}`);
    expect(reqHead.lines).toContain('authorization: ***');
    expect(reqHead.lines).toContain('cookie: ***');
    expect(plainReq.block.toString()).not.toContain('s3cret');

    // Status text and headers as received; payload as sent.
    const plainHttp = splitHttp(plainRes.block);
    expect(plainHttp.lines[0]).toBe('HTTP/1.1 200 Fine Thanks');
    expect(plainHttp.lines).toContain('Content-Type: text/html; charset=utf-8');
    expect(plainHttp.payload.toString()).toBe('hello plain');
    expect(plain.payload.toString()).toBe('hello plain');
    expect(plain.loc!.payloadSha256Hex).toBe(createHash('sha256').update('hello plain').digest('hex'));

    // Chunked: stored de-chunked, header renamed, Content-Length added.
    const chunkedHttp = splitHttp(byPath('/chunked')[1].block);
    expect(chunkedHttp.payload.toString()).toBe('first part, second part');
    expect(chunkedHttp.lines).toContain('X-Orig-Transfer-Encoding: chunked');
    expect(chunkedHttp.lines).toContain('Content-Length: 23');
    expect(chunkedHttp.lines.some((l) => /^transfer-encoding:/i.test(l))).toBe(false);
    expect(chunked.payload.toString()).toBe('first part, second part');

    // Content-Encoding kept: the stored payload is the gzip bytes the server sent.
    const gzHttp = splitHttp(byPath('/gzip')[1].block);
    expect(gzHttp.payload.equals(GZ)).toBe(true);
    expect(gunzipSync(gz.payload).toString()).toBe(GZ_TEXT);
    expect(gzHttp.lines).toContain('Content-Encoding: gzip');

    expect(splitHttp(byPath('/redirect')[1].block).lines[0]).toBe('HTTP/1.1 301 Moved Permanently');
    expect(splitHttp(byPath('/redirect')[1].block).lines).toContain('Location: /plain');
    expect(splitHttp(byPath('/missing')[1].block).lines[0]).toBe('HTTP/1.1 404 Not Found');
    expect(missing.payload.toString()).toBe('not here');

    // Truncated by the cap: marked, and the stored head tells the stored length.
    const [, cutRes] = byPath('/big');
    expect(cutRes.headers.get('warc-truncated')).toBe('length');
    const cutHttp = splitHttp(cutRes.block);
    expect(cutHttp.payload.length).toBe(10_000);
    expect(cutHttp.lines).toContain('X-Orig-Content-Length: 100000');
    expect(cutHttp.lines).toContain('Content-Length: 10000');
    expect(cut.payload.length).toBe(10_000);

    // Locations point at the response records; the observer saw them in file order.
    const responses = pairs.filter((r) => r.headers.get('warc-type') === 'response');
    const locs = [plain, chunked, gz, redirect, missing, cut].map((f) => f.loc!);
    expect(locs.map((l) => [l.offset, l.length])).toEqual(responses.map((r) => [r.offset, r.length]));
    expect(locs.every((l) => l.file === path)).toBe(true);
    expect(written.map((w) => w.location.offset)).toEqual(responses.map((r) => r.offset));
    expect(written.map((w) => w.status)).toEqual([200, 200, 200, 301, 404, 200]);
    expect(written[0]!.contentType).toBe('text/html; charset=utf-8');
    expect(written.map((w) => w.payloadDigest)).toEqual(responses.map((r) => r.headers.get('warc-payload-digest')));

    // warcio reads the same file: types, URIs, and (content-decoded) bodies.
    const viaWarcio = await warcioRecords(path);
    expect(viaWarcio.map((r) => r.type)).toEqual(records.map((r) => r.headers.get('warc-type')));
    const bodies = Object.fromEntries(viaWarcio.filter((r) => r.type === 'response').map((r) => [new URL(r.uri!).pathname, r.content]));
    expect(bodies).toEqual({
      '/plain': 'hello plain',
      '/chunked': 'first part, second part',
      '/gzip': GZ_TEXT,
      '/redirect': 'moved',
      '/missing': 'not here',
      '/big': 'b'.repeat(10_000),
    });
    expect(viaWarcio.every((r) => r.uri === null || !r.uri.startsWith('<'))).toBe(true);
  });

  it('rotates to <stem>-00001, -00002 before a file passes --warc-max-size, each file opening with warcinfo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-rot-'));
    const path = join(dir, `crawl${ext}`);
    const warc = await WarcWriter.open({ path, worker, maxSize: 6000 });
    const locs = [];
    for (let i = 0; i < 12; i++) locs.push((await fetchInto(warc, '/plain')).loc!);
    await warc.close();
    const found = readdirSync(dir);
    expect(found.length).toBeGreaterThan(2);
    const names = [`crawl${ext}`, ...found.slice(1).map((_, i) => `crawl-${String(i + 1).padStart(5, '0')}${ext}`)];
    expect(found.sort()).toEqual([...names].sort());
    let pairs = 0;
    for (const name of names) {
      const buf = readFileSync(join(dir, name));
      expect(buf.length).toBeLessThanOrEqual(6000);
      const recs = readWarc(buf, ext.endsWith('.gz'));
      expect(recs[0]!.headers.get('warc-type')).toBe('warcinfo');
      expect(recs[0]!.headers.get('warc-filename')).toBe(name);
      const infoId = recs[0]!.headers.get('warc-record-id');
      for (const r of recs.slice(1)) expect(r.headers.get('warc-warcinfo-id')).toBe(infoId);
      // Never a record split across files: requests and responses pair up inside each file.
      expect(recs.slice(1).map((r) => r.headers.get('warc-type'))).toEqual(Array((recs.length - 1) / 2).fill(['request', 'response']).flat());
      pairs += (recs.length - 1) / 2;
    }
    expect(pairs).toBe(12);
    expect(new Set(locs.map((l) => l.file)).size).toBe(names.length);
  });
});

/** A synthetic exchange, for the cases that need no server. */
function feed(warc: WarcWriter, url: string, head: string[], body: Buffer[], truncated: 'length' | null = null) {
  const ex = warc.exchange({ url, method: 'GET', headers: [['host', new URL(url).host]], date: new Date(), ip: null });
  ex.head(200, 'OK', head.map((h) => Buffer.from(h)));
  for (const chunk of body) ex.data(chunk);
  return ex.end({ truncated });
}

describe.each(MODES)('WarcWriter bursts ($ext, worker: $worker)', ({ ext, worker }) => {
  // Batches travel in reused shared-memory slots (batch-slots.ts) and plain records go through a
  // staging buffer: a burst of many small exchanges, some over a slot's 256 KiB and one over the
  // 1 MiB staging buffer, all ending at once, must come back whole, each at its own location.
  it('writes a burst of mixed sizes whole, each record where its location says', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-burst-'));
    const path = join(dir, `burst${ext}`);
    const warc = await WarcWriter.open({ path, worker, memoryLimit: 2 * 1024 * 1024 });
    const sizes = Array.from({ length: 700 }, (_, i) => (i === 350 ? 1_500_000 : i % 97 === 0 ? 300_000 : 200 + ((i * 7919) % 3000)));
    const bodies = sizes.map((n, i) => Buffer.alloc(n, 33 + (i % 90)));
    const locs = await Promise.all(bodies.map((b, i) => feed(warc, `http://h/b${i}`, ['Content-Length', String(b.length)], [b])));
    await warc.close();
    const file = readFileSync(path);
    const records = readWarc(file, ext.endsWith('.gz'));
    for (const r of records) checkDigests(r);
    const byOffset = new Map(records.map((r) => [r.offset, r]));
    locs.forEach((loc, i) => {
      const r = byOffset.get(loc!.offset)!;
      expect(r.headers.get('warc-target-uri')).toBe(`http://h/b${i}`);
      expect(r.length).toBe(loc!.length);
      expect(splitHttp(r.block).payload.equals(bodies[i]!)).toBe(true);
      expect(loc!.payloadSha256Hex).toBe(createHash('sha256').update(bodies[i]!).digest('hex'));
    });
    expect(records.length).toBe(1 + 2 * bodies.length);
  });
});

describe('WarcWriter edges', () => {
  it('spools a payload past memoryLimit to a temp file beside the WARC, then removes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-spool-'));
    const path = join(dir, 'big.warc.gz');
    const warc = await WarcWriter.open({ path, memoryLimit: 1000 });
    const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(333, 65 + (i % 26)));
    const body = Buffer.concat(parts);
    // Chunked (the stored head gains a Content-Length), one with a Content-Length, one truncated.
    const a = await feed(warc, 'http://h/chunked', ['Transfer-Encoding', 'chunked'], parts);
    const b = await feed(warc, 'http://h/sized', ['Content-Length', String(body.length)], parts);
    const c = await feed(warc, 'http://h/cut', ['Content-Length', '999999'], parts, 'length');
    await warc.close();
    expect(readdirSync(dir)).toEqual(['big.warc.gz']);
    const records = readWarc(readFileSync(path), true);
    for (const r of records) checkDigests(r);
    const responses = records.filter((r) => r.headers.get('warc-type') === 'response');
    for (const r of responses) expect(splitHttp(r.block).payload.equals(body)).toBe(true);
    expect(splitHttp(responses[0]!.block).lines).toEqual(['HTTP/1.1 200 OK', 'X-Orig-Transfer-Encoding: chunked', `Content-Length: ${body.length}`]);
    expect(splitHttp(responses[1]!.block).lines).toEqual(['HTTP/1.1 200 OK', `Content-Length: ${body.length}`]);
    expect(splitHttp(responses[2]!.block).lines).toEqual(['HTTP/1.1 200 OK', 'X-Orig-Content-Length: 999999', `Content-Length: ${body.length}`]);
    expect([a, b, c].map((l) => l!.offset)).toEqual(responses.map((r) => r.offset));
    expect(a!.payloadSha256Hex).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('writes nothing for an aborted exchange and removes its spool file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-abort-'));
    const path = join(dir, 'a.warc');
    const warc = await WarcWriter.open({ path, memoryLimit: 10, worker: false });
    const ex = warc.exchange({ url: 'http://h/x', method: 'GET', headers: [], date: new Date(), ip: null });
    ex.head(200, 'OK', []);
    ex.data(Buffer.alloc(100));
    ex.abort();
    expect(await ex.end({ truncated: null })).toBeNull();
    const never = warc.exchange({ url: 'http://h/y', method: 'GET', headers: [], date: new Date(), ip: null });
    expect(await never.end({ truncated: null })).toBeNull(); // no head: nothing to keep
    await warc.close();
    expect(readdirSync(dir)).toEqual(['a.warc']);
    expect(readWarc(readFileSync(path), false).map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo']);
  });

  it('keeps secret header values only when asked to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-secrets-'));
    const path = join(dir, 's.warc');
    const warc = await WarcWriter.open({ path, keepSecrets: true, worker: false });
    const ex = warc.exchange({
      url: 'http://h/x',
      method: 'GET',
      headers: [['Host', 'h'], ['Authorization', 'Basic dTpw'], ['Cookie', 'a=b'], ['Proxy-Authorization', 'Basic cDpx']],
      date: new Date(),
      ip: null,
    });
    ex.head(204, 'No Content', []);
    await ex.end({ truncated: null });
    await warc.close();
    const req = readWarc(readFileSync(path), false)[1]!;
    expect(splitHttp(req.block).lines).toEqual(['GET /x HTTP/1.1', 'Host: h', 'Authorization: Basic dTpw', 'Cookie: a=b', 'Proxy-Authorization: Basic cDpx']);
  });

  it('reports backpressure past highWaterMark and calls onDrain when it clears', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-bp-'));
    const warc = await WarcWriter.open({ path: join(dir, 'bp.warc.gz'), highWaterMark: 64 * 1024 });
    let drains = 0;
    warc.onDrain = () => drains++;
    const ends = [];
    let sawBackedUp = false;
    for (let i = 0; i < 40 && !sawBackedUp; i++) {
      ends.push(feed(warc, `http://h/${i}`, [], [Buffer.alloc(8 * 1024, i)]));
      sawBackedUp = warc.backedUp;
    }
    expect(sawBackedUp).toBe(true);
    await Promise.all(ends);
    expect(warc.backedUp).toBe(false);
    expect(drains).toBe(1);
    await warc.close();
  });

  it('refuses a name without .warc(.gz), a tiny --warc-max-size, and a leftover series without --resume', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-bad-'));
    await expect(WarcWriter.open({ path: join(dir, 'out.txt') })).rejects.toThrow(/--warc .*must end in \.warc\.gz or \.warc/);
    await expect(WarcWriter.open({ path: join(dir, 'out.warc'), maxSize: 10 })).rejects.toThrow(/--warc-max-size 10/);
    const first = await WarcWriter.open({ path: join(dir, 'out.warc'), maxSize: 4096, worker: false });
    for (let i = 0; i < 4; i++) await feed(first, 'http://h/x', [], [Buffer.alloc(3000)]);
    await first.close();
    await expect(WarcWriter.open({ path: join(dir, 'out.warc') })).rejects.toThrow(/out-00003\.warc is left from an earlier crawl/);
    await expect(WarcWriter.open({ path: join(dir, 'nowhere', 'out.warc') })).rejects.toThrow(/--warc .*nowhere/);
  });

  it('resumes the current file of a series after cutting its torn tail, with a new warcinfo', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-resume-'));
    const path = join(dir, 'r.warc.gz');
    const first = await WarcWriter.open({ path, maxSize: 8192 });
    // Incompressible bodies: one pair per file, and room after it for a small one.
    for (let i = 0; i < 5; i++) await feed(first, `http://h/${i}`, [], [randomBytes(5000)]);
    await first.close();
    const current = join(dir, 'r-00004.warc.gz');
    const whole = readFileSync(current);
    const { truncateSync, appendFileSync } = await import('node:fs');
    appendFileSync(current, Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0])); // a torn member
    const again = await WarcWriter.open({ path, maxSize: 8192, resume: true });
    const loc = await feed(again, 'http://h/after', [], [Buffer.from('after')]);
    await again.close();
    expect(loc!.file).toBe(current);
    const records = readWarc(readFileSync(current), true);
    expect(records.map((r) => r.headers.get('warc-type'))).toEqual(['warcinfo', 'request', 'response', 'warcinfo', 'request', 'response']);
    expect(records[3]!.offset).toBe(whole.length);
    expect(records[5]!.headers.get('warc-warcinfo-id')).toBe(records[3]!.headers.get('warc-record-id'));
    truncateSync(current, whole.length); // (keeps the dir tidy for a rerun by hand)
  });

  it('reports a write failure once through onError, and end() then resolves null', async () => {
    const { symlinkSync, existsSync } = await import('node:fs');
    if (!existsSync('/dev/full')) return;
    const dir = mkdtempSync(join(tmpdir(), 'sweep-warc-full-'));
    // Opening writes the warcinfo record: a file that refuses it is a clear error naming --warc.
    symlinkSync('/dev/full', join(dir, 'full.warc'));
    await expect(WarcWriter.open({ path: join(dir, 'full.warc'), worker: false })).rejects.toThrow(/--warc .*full\.warc: .*ENOSPC/);
    // Mid-crawl: the next file of the rotation refuses writes.
    for (const worker of [false, true]) {
      const path = join(dir, `mid${worker}.warc`);
      const warc = await WarcWriter.open({ path, maxSize: 4096, worker });
      symlinkSync('/dev/full', join(dir, `mid${worker}-00001.warc`));
      const errors: Error[] = [];
      warc.onError = (e) => errors.push(e);
      const locs = [];
      for (let i = 0; i < 6; i++) locs.push(await feed(warc, `http://h/${i}`, [], [Buffer.alloc(1500)]));
      await warc.close();
      expect(locs[0]).not.toBeNull();
      expect(locs.at(-1)).toBeNull();
      expect(errors.length).toBe(1);
      expect(errors[0]!.message).toMatch(/ENOSPC/);
    }
  });
});
