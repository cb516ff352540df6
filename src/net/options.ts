// Parsers for the network options, kept apart from proxy-h2-ca.ts so that cli.ts can validate
// argv without loading undici (--help and --version stay fast).

import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';

/** Validates --proxy at the boundary: an http(s) URL. */
export function parseProxy(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError('Expected a proxy URL such as http://127.0.0.1:3128.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError('Expected an http:// or https:// proxy URL.');
  return url.href;
}

/** Reads the --cacert file (PEM); a clear usage error when it cannot. */
export function readCa(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read --cacert file '${path}': ${code === 'ENOENT' ? 'no such file' : String(code)}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--cacert file '${path}' holds no PEM certificate`);
  return pem;
}
