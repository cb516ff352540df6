// The command line: commander program, subcommands and exit codes. No crawl logic here; the
// heavy modules are imported only by the command that needs them, so `--version` and `--help`
// start fast.
//
// Exit codes: 0 completed (failed URLs are data), 1 internal error, 2 usage error,
// 130 / 143 interrupted by SIGINT / SIGTERM.

import { Command, CommanderError, InvalidArgumentError, Option } from './commander.js';
import { buildConfig, DEFAULTS, LOG_LEVELS, parse, type RawOptions } from './config.js';
import { addFollowOptions } from './follow/cli-options.js';
import { parseSaveTypes } from './keep/save-types.js';
import { addDistributedCommands } from './distributed/commands.js';
import { UsageError } from './errors.js';
import { parseAllowance } from './bench/compare.js';
import { BENCH_DEFAULTS } from './bench/defaults.js';
import { ALL_METRICS, CRAWL_METRICS, crawlMetrics, evaluateGates, formatGateResults, parseGates, type Gate } from './gates.js';
import { VERSION } from './version.js';

export const EXIT = { ok: 0, internal: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

/** Adapts a config parser to commander, which then names the option in its message. */
function arg<T, P = T>(fn: (raw: string, previous: P) => T) {
  return (raw: string, previous: P): T => {
    try {
      return fn(raw, previous);
    } catch (err) {
      if (err instanceof UsageError) throw new InvalidArgumentError(err.message);
      throw err;
    }
  };
}

export function buildProgram(): Command {
  const program = new Command('sweep');
  const crawlCommand = program
    .description('Fetch every URL of a list, fast and politely: one NDJSON record per URL on stdout.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .argument('[file...]', 'URL lists, one URL per line; "-" or none reads stdin')
    .option('-c, --concurrency <n>', 'most requests in flight', arg(parse.positive), DEFAULTS.concurrency)
    .option('-t, --timeout <ms>', 'per attempt, from dispatch to the last body byte', arg(parse.positive), DEFAULTS.timeoutMs)
    .option('-r, --retries <n>', 'retries after the first attempt', arg(parse.nonNegative), DEFAULTS.retries)
    .option('--retry-delay <ms>', 'base of the exponential backoff (full jitter, factor 2)', arg(parse.nonNegative), DEFAULTS.retryDelayMs)
    .option('--retry-max-delay <ms>', 'cap on one wait, Retry-After included', arg(parse.nonNegative), DEFAULTS.retryMaxDelayMs)
    .option('-X, --method <method>', 'HTTP method; non-idempotent ones are retried only on connect errors', arg(parse.method), DEFAULTS.method)
    .option('-H, --header <header>', 'extra request header "Name: value" (repeatable)', arg(parse.header))
    .option('-A, --user-agent <ua>', 'User-Agent header', DEFAULTS.userAgent)
    .option('--max-body <bytes>', 'larger bodies stop being read: error body_too_large', arg(parse.positive), DEFAULTS.maxBody)
    .option('--max-redirects <n>', 'redirects to follow; 0 reports the 3xx as is', arg(parse.nonNegative), DEFAULTS.maxRedirects)
    .option('--location-trusted', 'send -H Authorization, Cookie and Proxy-Authorization to redirect targets on other origins too')
    .option('-o, --output <file>', 'write records to this file instead of stdout')
    .option('--summary-json <file>', 'also write the summary as JSON')
    .option('--progress', 'show the progress bar (default: when stderr is a TTY)')
    .option('--no-progress', 'never show the progress bar')
    .option('-q, --quiet', 'no summary on stderr')
    .addOption(
      new Option('--log-level <level>', 'pino log level, logs on stderr').choices(LOG_LEVELS).default(DEFAULTS.logLevel),
    )
    .option('--insecure', 'skip TLS certificate verification (warns when used)')
    .option('--fail-on <expr>', 'exit 1 at the end when a gate holds, e.g. "p99>250ms,error_rate>1%" (repeatable)', arg((raw: string, prev?: Gate[]) => parseGates(raw, CRAWL_METRICS, prev)))
    .option('--grace <ms>', 'after SIGINT/SIGTERM, time requests in flight get before they are aborted', arg(parse.nonNegative), DEFAULTS.graceMs)
    .option('--per-host <n>', 'most requests in flight to one origin (-c still applies)', arg(parse.positive))
    .option('--rate <r>', 'requests started per second, over all hosts', arg(parse.rate))
    .option('--per-host-rate <r>', 'requests started per second, to one origin', arg(parse.rate))
    .option('--robots', 'fetch robots.txt once per origin; obey Allow, Disallow and Crawl-delay')
    .option('--dedupe', 'fetch a URL seen before only once; the later lines say "skipped":"duplicate"')
    .option('--resume <file>', 'skip lines a previous run finished in this NDJSON file, then append to it')
    .option('--shard <k/n>', 'take only the lines whose URL hashes to shard k of n', arg(parse.shard))
    .option('--proxy <url>', 'send requests through this HTTP proxy (default: HTTP_PROXY, HTTPS_PROXY, NO_PROXY)', arg(parse.proxy))
    .option('--http2', 'allow HTTP/2 over TLS when the server offers it')
    .option('--cacert <file>', 'also trust the CA certificates in this PEM file')
    .option('--dns-server <host[:port],...>', 'resolve host names with these DNS servers (c-ares, cached by TTL; /etc/hosts still first)', arg(parse.dnsServers))
    .option('--warc <file>', 'write every HTTP exchange as WARC 1.1 records (.warc.gz: one gzip member per record; .warc: plain)')
    .option('--warc-max-size <bytes>', 'rotate to <name>-00001.warc.gz, ... before a file passes this size (default 1 GiB)', arg(parse.positive))
    .option('--warc-keep-secrets', 'write Authorization, Cookie and Proxy-Authorization values into request records (default: redacted)')
    .option('--cdx <file>', 'also write a CDXJ index (pywb) of the response records')
    .option('--save-dir <dir>', 'write each 2xx body (decoded) under <dir>/<host>[_<port>]/<path>, like wget -x')
    .option('--save-types <list>', 'only save these Content-Types, e.g. text/html,application/pdf,image/*', arg(parseSaveTypes));
  addFollowOptions(crawlCommand, arg, true)
    .action(async (files: string[], opts: RawOptions & { failOn?: Gate[] }) => {
      const cfg = buildConfig(files, opts);
      const { checkInputs } = await import('./input.js');
      await checkInputs(cfg.inputs);
      const { crawl } = await import('./crawl.js');
      const { tuneHeapForStreaming } = await import('./heap.js');
      tuneHeapForStreaming();
      const { withProcessSignals } = await import('./run/interrupts.js');
      const result = await withProcessSignals((interrupts) => crawl(cfg, undefined, { interrupts }));
      process.exitCode = result.exitCode;
      if (result.exitCode === EXIT.sigint || result.exitCode === EXIT.sigterm) {
        // Stopped by a signal, with everything written (records flushed, files closed, summary
        // out; stdout and stderr are synchronous on Linux). An input that is a FIFO or a device
        // is read in libuv's thread pool, and a read pending there cannot be cancelled: it would
        // keep the process alive until the writer writes or closes (for ever for `<(tail -f ...)`).
        process.exit(result.exitCode);
      }
      if (opts.failOn !== undefined && result.exitCode === 0) {
        // After the records and the summary are out: a gate is a verdict on a complete run.
        const results = evaluateGates(opts.failOn, crawlMetrics(result.snapshot));
        const failed = results.some((r) => r.failed);
        if (failed || !cfg.quiet) process.stderr.write(formatGateResults(failed ? results.filter((r) => r.failed) : results));
        if (failed) process.exitCode = EXIT.internal;
      }
    });

  program
    .command('serve')
    .description('run the loopback testbed in the foreground, to try sweep against it')
    .option('-p, --port <n>', 'port to listen on (0 picks a free one)', arg(parse.nonNegative), 8080)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .action(async (opts: { port: number; host: string }) => {
      const { serve } = await import('./serve.js');
      await serve(opts);
    });

  program
    .command('demo')
    .description('what `npm start` runs: crawl ~20,000 URLs of an embedded testbed, then print the summary')
    .option('-n, --count <n>', 'how many URLs to generate', arg(parse.positive), 20_000)
    .action(async (opts: { count: number }) => {
      const { demo } = await import('./demo.js');
      process.exitCode = await demo(opts);
    });

  program
    .command('bench')
    .description('the pool against a sequential baseline: on the embedded loopback testbed, or on FILE (real load!)')
    .argument('[file]', 'a URL list of real targets; none runs the loopback testbed scenarios')
    .option('--runs <n>', 'timed runs per scenario, after a warm-up (testbed only)', arg(parse.positive), BENCH_DEFAULTS.runs)
    .option('--delay <ms>', 'response delay of the latency-bound scenario', arg(parse.nonNegative), BENCH_DEFAULTS.delayMs)
    .addOption(new Option('--sizes <list>', 'N values of the latency-bound table').argParser(arg(parseSizes)).default(BENCH_DEFAULTS.sizes, BENCH_DEFAULTS.sizes.join(',')))
    .option('--count <n>', 'URLs of the throughput-bound scenario', arg(parse.positive), BENCH_DEFAULTS.count)
    .option('-c, --concurrency <n>', 'requests in flight for the throughput scenario and for FILE', arg(parse.positive), DEFAULTS.concurrency)
    .option('--baseline-sample <n>', 'FILE: URLs fetched one by one for the baseline', arg(parse.positive), BENCH_DEFAULTS.baselineSample)
    .option('-t, --timeout <ms>', 'per attempt, as for a crawl', arg(parse.positive), DEFAULTS.timeoutMs)
    .option('--json <file>', 'write the report as JSON (schema sweep.bench/1)')
    .option('--markdown <file>', 'append the report as markdown (e.g. $GITHUB_STEP_SUMMARY)')
    .option('--fail-on <expr>', 'exit 1 when a gate holds, e.g. "efficiency<0.8,p99>50ms" (repeatable)', arg((raw: string, prev?: Gate[]) => parseGates(raw, ALL_METRICS, prev)))
    .option('--compare <file>', 'a previous --json report: exit 1 when requests/s fell or p99 rose beyond --max-regression')
    .addOption(new Option('--max-regression <pct>', 'allowance for --compare').argParser(arg(parseAllowance)).default(BENCH_DEFAULTS.maxRegression, `${BENCH_DEFAULTS.maxRegression * 100}%`))
    .action(async (file: string | undefined, opts: BenchCliOptions) => {
      const { bench } = await import('./bench/index.js');
      process.exitCode = await bench({
        file: file ?? null,
        runs: opts.runs,
        warmup: true,
        delayMs: opts.delay,
        sizes: opts.sizes,
        count: opts.count,
        concurrency: opts.concurrency,
        baselineSample: opts.baselineSample,
        timeoutMs: opts.timeout,
        json: opts.json ?? null,
        markdown: opts.markdown ?? null,
        failOn: opts.failOn ?? [],
        compare: opts.compare ?? null,
        maxRegression: opts.maxRegression,
      });
    });

  // `sweep bench -c 8`: the subcommand's -c, not the crawl's.
  program.enablePositionalOptions();
  addDistributedCommands(program, arg);

  return program;
}

interface BenchCliOptions {
  runs: number;
  delay: number;
  sizes: number[];
  count: number;
  concurrency: number;
  baselineSample: number;
  timeout: number;
  json?: string;
  markdown?: string;
  failOn?: Gate[];
  compare?: string;
  maxRegression: number;
}


function parseSizes(raw: string): number[] {
  const sizes = raw.split(',').map((part) => parse.positive(part));
  return [...new Set(sizes)].sort((a, b) => a - b);
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  program.configureOutput({ outputError: (text, write) => write(`sweep: ${text.replace(/^error: /, '')}`) });
  for (const sub of program.commands) {
    sub.exitOverride();
    sub.configureOutput({ outputError: (text, write) => write(`sweep: ${text.replace(/^error: /, '')}`) });
  }
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // Help and version "errors" are how commander says it printed what was asked.
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError) {
    process.stderr.write(`sweep: ${err.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`sweep: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return EXIT.internal;
}
