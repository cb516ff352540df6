// Preloaded (NODE_OPTIONS=--import) into a CLI child by keep-backpressure.test.ts: a disk that
// writes SLOW_DISK_BYTES_PER_MS bytes a millisecond. Each async fs.write / fs.writev completes
// that much later than the real write did (spool files, --save-dir streams, the WARC file).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const rate = Number(process.env.SLOW_DISK_BYTES_PER_MS ?? 50_000);
const slowed = (args) => {
  const callback = args[args.length - 1];
  args[args.length - 1] = (err, n, ...rest) => setTimeout(() => callback(err, n, ...rest), Math.max(1, (n | 0) / rate));
  return args;
};
const { write, writev } = fs;
fs.write = function (...args) {
  return write.apply(this, slowed(args));
};
fs.writev = function (...args) {
  return writev.apply(this, slowed(args));
};
syncBuiltinESMExports();
