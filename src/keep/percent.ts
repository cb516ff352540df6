// %-escapes as bytes, for the SURT keys and the save-dir names (both decode, then re-escape by
// their own rules).

const HEX = '0123456789ABCDEF';

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** `%XX` for a byte, upper-case hex. */
export function pct(b: number): string {
  return '%' + HEX[b >> 4]! + HEX[b & 15]!;
}

/** Undoes %-escapes once (a `%` not followed by two hex digits stays). Returns `bytes` when none. */
export function decodeOnce(bytes: Buffer): Buffer {
  if (!bytes.includes(0x25)) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const hi = bytes[i] === 0x25 && i + 2 < bytes.length ? hexValue(bytes[i + 1]!) : -1;
    const lo = hi >= 0 ? hexValue(bytes[i + 2]!) : -1;
    if (lo >= 0) {
      out[o++] = hi * 16 + lo;
      i += 2;
    } else out[o++] = bytes[i]!;
  }
  return o === bytes.length ? bytes : out.subarray(0, o);
}
