// The command line: commander program, subcommands and exit codes. No crawl logic here; the
// heavy modules are imported only by the command that needs them, so `--version` and `--help`
// start fast.
//
// Exit codes: 0 completed (failed URLs are data), 1 internal error, 2 usage error,
// 130 / 143 interrupted by SIGINT / SIGTERM.

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { buildConfig, DEFAULTS, LOG_LEVELS, parse, type RawCrawlOptions } from './config.js';
import { UsageError } from './errors.js';
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
  program
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
    .option('-o, --output <file>', 'write records to this file instead of stdout')
    .option('--summary-json <file>', 'also write the summary as JSON')
    .option('--progress', 'show the progress bar (default: when stderr is a TTY)')
    .option('--no-progress', 'never show the progress bar')
    .option('-q, --quiet', 'no summary on stderr')
    .addOption(
      new Option('--log-level <level>', 'pino log level, logs on stderr').choices(LOG_LEVELS).default(DEFAULTS.logLevel),
    )
    .option('--insecure', 'skip TLS certificate verification (warns when used)')
    .action(async (files: string[], opts: RawCrawlOptions) => {
      const cfg = buildConfig(files, opts);
      const { checkInputs } = await import('./input.js');
      await checkInputs(cfg.inputs);
      const { crawl } = await import('./crawl.js');
      const { tuneHeapForStreaming } = await import('./heap.js');
      tuneHeapForStreaming();
      const result = await crawl(cfg);
      process.exitCode = result.exitCode;
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

  return program;
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
