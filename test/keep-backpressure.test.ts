// When the disk cannot keep up with --warc or --save-dir, the bodies in flight wait in the
// kernel, not in sweep's memory: the fetcher stops reading a body while a tap is backed up and
// reads on when it drains (the pool already started nothing new meanwhile). A preloaded module
// makes the disk slow (test/slow-disk.mjs, 50 MB/s); the testbed sends 6 bodies of 100 MB at
// once. Before, all 600 MB came into memory (peak RSS 424-436 MB for 4 such bodies).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir, tempList, useTestbed } from './helpers.js';

const SLOW_DISK = fileURLToPath(new URL('./slow-disk.mjs', import.meta.url));
const BODY = 100_000_000;
const MB = 1024 * 1024;

describe('a disk slower than the network', () => {
  const bed = useTestbed();
  const urls = () => Array.from({ length: 6 }, (_, i) => `${bed.tb.url}/big/${BODY}/${i}`);

  for (const keep of ['--warc', '--save-dir'] as const) {
    it(`${keep}: every body kept whole, peak RSS far below the bodies in flight`, { timeout: 120_000 }, async () => {
      const dir = tempDir();
      const summary = join(dir, 'summary.json');
      const target = keep === '--warc' ? join(dir, 'o.warc') : join(dir, 'mirror');
      const r = await runCli(['-q', '-c', '6', '-t', '3000', '-r', '0', '--max-body', String(2 * BODY), keep, target, '--summary-json', summary, tempList(urls())], {
        env: { NODE_OPTIONS: `--import ${SLOW_DISK}` },
      });
      expect(r.code).toBe(0);
      expect(r.records.filter((x) => x.ok && x.bytes === BODY)).toHaveLength(6);
      const peak = (JSON.parse(readFileSync(summary, 'utf8')) as { peakRssBytes: number }).peakRssBytes;
      // 6 x 100 MB in flight: held in memory that is ~650 MB; read as the disk takes it, ~100-200.
      // And no timeout: the run takes longer than -t, but a body waiting for the disk is not late.
      expect(peak / MB).toBeLessThan(350);
    });
  }
});
