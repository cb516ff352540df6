// WARC 1.1 record headers (ISO 28500:2017). Pure string building: the writer hashes the block,
// then asks for the header that goes in front of it.
//
// Every record carries WARC-Warcinfo-ID right after its WARC-Record-ID: the id of the warcinfo
// record that opens its file. The file sink formats a record's header only after it has decided
// rotation, so it knows that id and passes it.

import { randomUUID } from 'node:crypto';

export const CRLF = '\r\n';
export const RECORD_END = '\r\n\r\n';
export const WARC_VERSION = 'WARC/1.1';

export type RecordType = 'warcinfo' | 'request' | 'response';

export interface RecordFields {
  type: RecordType;
  id: string;
  /** ISO 8601 UTC, as from Date.toISOString() (WARC 1.1 allows the fraction of a second). */
  date: string;
  targetUri?: string | null;
  ip?: string | null;
  concurrentTo?: string | null;
  /** For warcinfo records only. */
  filename?: string | null;
  contentType: string;
  contentLength: number;
  blockDigest?: string | null;
  payloadDigest?: string | null;
  truncated?: string | null;
  /** The id of the file's warcinfo record: required on every other record. */
  warcinfoId?: string | null;
}

export function newRecordId(): string {
  return randomUUID();
}

/** The WARC-Target-URI as a header-safe string: no angle brackets (WARC 1.1), no CR/LF/space. */
export function headerSafeUri(uri: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x21-\x7e]/.test(uri)) return uri;
  let out = '';
  for (const byte of Buffer.from(uri, 'utf8')) {
    out += byte > 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** A header value that cannot break the header: CR, LF and other controls become spaces. */
export function headerSafeValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x1f\x7f]/.test(value) ? value.replace(/[\x00-\x1f\x7f]/g, ' ') : value;
}

export function formatHeader(f: RecordFields): string {
  let text = `${WARC_VERSION}\r\nWARC-Type: ${f.type}\r\nWARC-Record-ID: <urn:uuid:${f.id}>\r\n`;
  if (f.type !== 'warcinfo') {
    if (!f.warcinfoId) throw new Error(`bug: a ${f.type} record formatted without its warcinfo id`);
    text += `WARC-Warcinfo-ID: <urn:uuid:${f.warcinfoId}>\r\n`;
  }
  text += `WARC-Date: ${f.date}\r\n`;
  if (f.filename) text += `WARC-Filename: ${headerSafeValue(f.filename)}\r\n`;
  if (f.targetUri != null) text += `WARC-Target-URI: ${headerSafeUri(f.targetUri)}\r\n`;
  if (f.ip) text += `WARC-IP-Address: ${headerSafeValue(f.ip)}\r\n`;
  if (f.concurrentTo) text += `WARC-Concurrent-To: <urn:uuid:${f.concurrentTo}>\r\n`;
  if (f.blockDigest) text += `WARC-Block-Digest: ${f.blockDigest}\r\n`;
  if (f.payloadDigest) text += `WARC-Payload-Digest: ${f.payloadDigest}\r\n`;
  if (f.truncated) text += `WARC-Truncated: ${f.truncated}\r\n`;
  text += `Content-Type: ${f.contentType}\r\nContent-Length: ${f.contentLength}\r\n\r\n`;
  return text;
}

/** The block of a warcinfo record: `name: value` lines (application/warc-fields). */
export function warcFields(fields: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [name, value] of Object.entries(fields)) out += `${headerSafeValue(name)}: ${headerSafeValue(value)}\r\n`;
  return out;
}
