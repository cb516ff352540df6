// Test data shared by the WARC tests: bytes no compressor can shrink, reproducible from a seed.

/** Incompressible bytes, the same for the same seed (xorshift32). */
export function noise(seed: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
