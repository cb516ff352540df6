// /etc/hosts, read once at start, for the c-ares resolver (resolver.ts): c-ares asks DNS servers
// only, while getaddrinfo reads this file first ("hosts: files dns" in nsswitch.conf). A name
// listed here is answered from here and never sent to a server, as glibc does.
//
// Format (hosts(5)): an IP address, then the canonical name and aliases, separated by blanks;
// `#` starts a comment. Lines whose first field is not an IP address are skipped, as glibc
// skips them. Names are matched without case and without a trailing dot. A name on several
// lines gets every address, in file order (glibc's "multi on", its default since 2.26).

import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export interface HostAddresses {
  readonly v4: readonly string[];
  readonly v6: readonly string[];
}

export type HostsTable = ReadonlyMap<string, HostAddresses>;

/** A name as hosts entries and lookups compare it: lower-case, no trailing dot. */
export function hostKey(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

export function parseHosts(text: string): Map<string, HostAddresses> {
  const table = new Map<string, { v4: string[]; v6: string[] }>();
  for (const rawLine of text.split('\n')) {
    const hash = rawLine.indexOf('#');
    const fields = (hash === -1 ? rawLine : rawLine.slice(0, hash)).trim().split(/[ \t\r\f\v]+/);
    const address = fields[0] ?? '';
    const family = isIP(address);
    if (family === 0 || fields.length < 2) continue;
    for (const name of fields.slice(1)) {
      const key = hostKey(name);
      if (key === '') continue;
      let entry = table.get(key);
      if (entry === undefined) table.set(key, (entry = { v4: [], v6: [] }));
      const list = family === 4 ? entry.v4 : entry.v6;
      if (!list.includes(address)) list.push(address);
    }
  }
  return table;
}

/**
 * The hosts table sweep's resolver uses: the file (none when it cannot be read, as getaddrinfo
 * then has none either), plus `localhost` as loopback when the file does not name it (RFC 6761
 * §6.3: it must never go to a DNS server).
 */
export function loadHosts(path = '/etc/hosts'): HostsTable {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // No file: DNS only.
  }
  const table = parseHosts(text);
  if (!table.has('localhost')) table.set('localhost', { v4: ['127.0.0.1'], v6: ['::1'] });
  return table;
}
