// sweep bench's defaults, in a module light enough for cli.ts to import at startup.

export const BENCH_DEFAULTS = {
  runs: 3,
  delayMs: 100,
  sizes: [5, 10, 20, 50, 100],
  count: 20_000,
  baselineSample: 50,
  /** A fraction: 10%. */
  maxRegression: 0.1,
};
