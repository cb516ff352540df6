// TLS verification on by default, --insecure warns once, and secrets never reach the logs.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGE_BODY } from '../src/testbed.js';
import { runCli, tempDir, useTestbed } from './helpers.js';

const bed = useTestbed();

describe('TLS', () => {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    // A throwaway self-signed certificate for 127.0.0.1, made by openssl for this run.
    const dir = tempDir();
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
      res.writeHead(200, { 'content-length': PAGE_BODY.length });
      res.end(PAGE_BODY);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies certificates by default: a self-signed one is a tls error', async () => {
    const r = await runCli(['-q', '-r', '0'], { stdin: `${url}/a\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.records[0]).toMatchObject({ ok: false, status: null, error: { code: 'tls' } });
  });

  it('--insecure fetches it, and warns exactly once whatever the number of URLs', async () => {
    const r = await runCli(['-q', '--insecure'], { stdin: `${url}/a\n${url}/b\n${url}/c\n` });
    expect(r.code).toBe(0);
    expect(r.records.map((x) => x.ok)).toEqual([true, true, true]);
    expect(r.stderr).toBe('sweep: warning: --insecure: TLS certificates are not verified\n');
  });
});

describe('secrets', () => {
  it('passwords in URLs and Authorization / Cookie / Proxy-Authorization values never reach logs or records', async () => {
    const secrets = ['pw-in-url-7f3a', 'auth-token-91bc', 'cookie-value-44de', 'proxy-cred-0a1b'];
    const r = await runCli(
      [
        '--log-level', 'debug',
        '-H', `Authorization: Bearer ${secrets[1]}`,
        '-H', `Cookie: sid=${secrets[2]}`,
        '-H', `Proxy-Authorization: Basic ${secrets[3]}`,
      ],
      { stdin: `http://user:${secrets[0]}@127.0.0.1:${bed.tb.port}/p/1\n` },
    );
    expect(r.code).toBe(0);
    // The headers were logged (so redaction, not silence, is what is tested here)...
    const settings = r.stderr.split('\n').find((l) => l.includes('request settings'));
    expect(JSON.parse(settings!).headers).toMatchObject({ authorization: '***', cookie: '***', 'proxy-authorization': '***' });
    // ...and no secret appears anywhere.
    for (const secret of secrets) {
      expect(r.stderr).not.toContain(secret);
      expect(r.stdout).not.toContain(secret);
    }
    expect(r.records[0]).toMatchObject({ ok: true, url: `http://user:***@127.0.0.1:${bed.tb.port}/p/1` });
  });

  it('runs no shell and evaluates no input: no exec(), shell: true, eval or Function in the code', () => {
    const dir = new URL('../src/', import.meta.url);
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      // child_process's exec/execSync run a shell; RegExp.prototype.exec (`.exec(`) is fine.
      expect(text, file).not.toMatch(/(?<![.\w])exec(Sync)?\(|\bexec(Sync)?\b[^\n]*child_process|shell:\s*true|\beval\(|new Function\(/);
    }
  });
});
