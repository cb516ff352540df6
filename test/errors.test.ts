// errors.ts: what a record's error says. (Mapping real failures to codes is tested end to end in
// faults.test.ts, crawl.test.ts and protocol.test.ts.)

import { describe, expect, it } from 'vitest';
import { clip, toErrorMessage } from '../src/errors.js';

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
