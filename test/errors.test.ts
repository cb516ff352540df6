// errors.ts: what a record's error says. (Mapping real failures to codes is tested end to end in
// faults.test.ts, crawl.test.ts and protocol.test.ts.)

import { describe, expect, it } from 'vitest';
import { clip, toErrorCode, toErrorMessage } from '../src/errors.js';

describe('toErrorMessage', () => {
  // Found by test/record.property.test.ts: the cut at 300 units could split an emoji, leaving a
  // lone surrogate in the record (U+FFFD, or an escape strict JSON readers reject).
  it('cuts a long message between characters, not inside one', () => {
    const out = toErrorMessage(new Error('a'.repeat(299) + '😀 tail'));
    expect(out).toBe('a'.repeat(299));
    expect(out.isWellFormed()).toBe(true);
  });

  it('keeps a thrown string on one line too', () => {
    expect(toErrorMessage('first line\nsecond\u2028third')).toBe('first line second third');
  });

  it('adds the cause when it says more', () => {
    expect(toErrorMessage(new Error('fetch failed', { cause: new Error('ECONNREFUSED 127.0.0.1:1') }))).toBe('fetch failed: ECONNREFUSED 127.0.0.1:1');
  });
});

describe('clip', () => {
  it('returns short text as is and never ends in half a pair', () => {
    expect(clip('abc', 5)).toBe('abc');
    expect(clip('ab😀', 3)).toBe('ab');
    expect(clip('ab😀', 4)).toBe('ab😀');
  });
});

describe('toErrorCode: responses that break HTTP', () => {
  // undici's HTTPParserError, as undici 7.30.2 builds it: the brand, and code undefined.
  const parserError = (reason: string): Error => {
    const err = new Error(`Response does not match the HTTP/1.1 protocol (${reason})`);
    Object.defineProperty(err, Symbol.for('undici.error.UND_ERR_HTTP_PARSER'), { get: () => true });
    return err;
  };
  const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

  it('llhttp parser errors and header overflow are protocol', () => {
    expect(toErrorCode(parserError('Invalid status code'))).toBe('protocol');
    expect(toErrorCode(parserError('Invalid character in chunk size'))).toBe('protocol');
    expect(toErrorCode(withCode('HPE_INVALID_CHUNK_SIZE'))).toBe('protocol'); // if undici sets the code one day
    expect(toErrorCode(withCode('UND_ERR_HEADERS_OVERFLOW'))).toBe('protocol');
    expect(toErrorCode(withCode('UND_ERR_SOCKET', 'bad upgrade'))).toBe('protocol');
    expect(toErrorCode(withCode('UND_ERR_SOCKET', 'bad response'))).toBe('protocol');
  });

  it('a body cut short stays connection_reset', () => {
    expect(toErrorCode(parserError('Invalid EOF state'))).toBe('connection_reset');
    expect(toErrorCode(withCode('HPE_INVALID_EOF_STATE'))).toBe('connection_reset');
    expect(toErrorCode(withCode('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'))).toBe('connection_reset');
    expect(toErrorCode(withCode('UND_ERR_SOCKET', 'other side closed'))).toBe('connection_reset');
  });

  it('a code that is a name every object has is not looked up on the prototype', () => {
    expect(toErrorCode(withCode('constructor'))).toBe('network');
    expect(toErrorCode(withCode('toString'))).toBe('network');
  });
});
