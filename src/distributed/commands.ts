// The distributed subcommands (enqueue, work, results, status) for cli.ts. Only commander and
// the config parsers load here; ioredis and the crawl modules are imported by the action that
// runs, so `sweep --version` and a local crawl never load them.

import { Option, type Command } from '../commander.js';
import { buildConfig, parse, type RawCrawlOptions } from '../config.js';
import { addFollowOptions } from '../follow/cli-options.js';
import { buildFollow, type RawFollowOptions } from '../follow/options.js';
import { UsageError } from '../errors.js';

type Arg = <T, P = T>(fn: (raw: string, previous: P) => T) => (raw: string, previous: P) => T;

/** The local crawl's options a worker takes as they are (same meaning, same parsers, same defaults). */
const WORKER_CRAWL_FLAGS = new Set([
  '--concurrency', '--timeout', '--retries', '--retry-delay', '--retry-max-delay', '--method', '--header',
  '--user-agent', '--max-body', '--max-redirects', '--location-trusted', '--output', '--summary-json', '--quiet', '--log-level',
  '--insecure', '--grace', '--proxy', '--http2', '--cacert', '--dns-server',
  // Per worker by nature: in-flight limits are about this process's connections, robots.txt is fetched per process.
  '--per-host', '--robots',
]);

export const parseDistributed = {
  redisUrl: (raw: string): string => {
    if (!/^rediss?:\/\/[^\s]+$/i.test(raw.trim())) throw new UsageError('Expected a URL such as redis://127.0.0.1:6379 (or rediss:// for TLS).');
    return raw.trim();
  },
  queue: (raw: string): string => {
    if (!/^[A-Za-z0-9._:-]{1,200}$/.test(raw)) throw new UsageError('Expected a name of letters, digits, ".", "_", ":" or "-".');
    return raw;
  },
  rate: (raw: string): number => {
    const n = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1e7) throw new UsageError('Expected a number of requests per second > 0.');
    return n;
  },
};

interface QueueOptions {
  redis: string;
  queue: string;
}

/** Runs a distributed action; an unreachable or failing Redis is one line on stderr and exit 1. */
async function run(action: () => Promise<number>): Promise<void> {
  const { isRedisError, QueueBusy, RedisUnavailable } = await import('./redis.js');
  try {
    process.exitCode = await action();
  } catch (err) {
    if (!isRedisError(err)) throw err;
    process.stderr.write(`sweep: ${err instanceof RedisUnavailable || err instanceof QueueBusy ? '' : 'Redis: '}${err.message}\n`);
    process.exitCode = 1;
  }
}

export function addDistributedCommands(program: Command, arg: Arg): void {
  // buildProgram() turns on enablePositionalOptions(), so `sweep work -c 8` gives -c to `work`.
  const queueOptions = (cmd: Command): Command =>
    cmd
      .requiredOption('--redis <url>', 'Redis server, e.g. redis://127.0.0.1:6379', arg(parseDistributed.redisUrl))
      .requiredOption('--queue <name>', 'queue name: every command of one crawl uses the same', arg(parseDistributed.queue));

  const enqueueCommand = queueOptions(program.command('enqueue'))
    .description('stream URL lists into a Redis queue for `sweep work` (same input rules as a crawl)')
    .argument('[file...]', 'URL lists, one URL per line; "-" or none reads stdin')
    .option('--dedupe', 'enqueue each URL once, however often it is listed (a Redis set remembers them)');
  // A recursive crawl: the workers follow links by these rules.
  addFollowOptions(enqueueCommand, arg, false)
    .option('-q, --quiet', 'no summary on stderr')
    .action(async (files: string[], opts: QueueOptions & RawFollowOptions & { dedupe?: boolean; quiet?: boolean }) => {
      const follow = buildFollow(opts);
      const inputs = files.length === 0 ? ['-'] : files;
      const { checkInputs } = await import('../input.js');
      await checkInputs(inputs);
      await run(async () => {
        const { enqueue } = await import('./enqueue.js');
        await enqueue({ redis: opts.redis, queue: opts.queue, inputs, dedupe: opts.dedupe ?? false, quiet: opts.quiet ?? false, follow });
        return 0;
      });
    });

  const work = queueOptions(program.command('work'))
    .description('crawl a Redis queue as one of any number of workers, until it is finished')
    .option('--consumer <name>', 'worker name in the group; the same name after a restart resumes its entries (default: host-pid)')
    .option('--claim-idle <ms>', 'take over entries another worker held this long without finishing', arg(parse.positive), 60_000)
    .option(
      '--max-deliveries <n>',
      'an entry delivered this many times and never finished (its workers died or stalled) gets a max_deliveries record instead',
      arg(parse.positive),
      5,
    )
    .option('--rate <n>', 'most requests per second across ALL workers of the queue (a token bucket in Redis)', arg(parseDistributed.rate))
    .option('--per-host-rate <r>', 'most requests per second to one origin across ALL workers of the queue (a schedule per origin in Redis)', arg(parseDistributed.rate))
    .option('--follow', 'keep waiting for new entries instead of ending when the queue is finished');
  for (const option of program.options) {
    if (option.long !== undefined && WORKER_CRAWL_FLAGS.has(option.long)) work.addOption(option as Option);
  }
  work.action(
    async (
      opts: RawCrawlOptions &
        QueueOptions & { consumer?: string; claimIdle: number; maxDeliveries: number; rate?: number; perHostRate?: number; follow?: boolean },
    ) => {
      const cfg = buildConfig([], { ...opts, progress: false });
      await run(async () => {
        const { work: runWorker } = await import('./work.js');
        const { withProcessSignals } = await import('../run/interrupts.js');
        const options = {
          redis: opts.redis,
          queue: opts.queue,
          consumer: opts.consumer ?? null,
          claimIdleMs: opts.claimIdle,
          follow: opts.follow ?? false,
          rate: opts.rate ?? null,
          perHostRate: opts.perHostRate ?? null,
          maxDeliveries: opts.maxDeliveries,
        };
        const result = await withProcessSignals((interrupts) => runWorker(cfg, options, process.stderr, interrupts));
        return result.exitCode;
      });
    },
  );

  queueOptions(program.command('results'))
    .description("export a queue's records as NDJSON: one per enqueued line")
    .option('-o, --output <file>', 'write records to this file instead of stdout')
    .option('--follow', 'keep exporting as workers write, until the queue is finished')
    .option('--trim', 'append to the -o file and delete from Redis what it holds once fsynced (an incremental export)')
    .action(async (opts: QueueOptions & { output?: string; follow?: boolean; trim?: boolean }) => {
      if (opts.trim && opts.output === undefined) {
        throw new UsageError('--trim needs -o <file>: records are deleted from Redis only once a file holds them (fsynced); a pipe cannot promise that.');
      }
      await run(async () => {
        const { exportResults } = await import('./results.js');
        const { withProcessSignals } = await import('../run/interrupts.js');
        const options = { redis: opts.redis, queue: opts.queue, output: opts.output ?? null, follow: opts.follow ?? false, trim: opts.trim ?? false };
        const r = await withProcessSignals((interrupts) => exportResults(options, interrupts));
        return r.exitCode;
      });
    });

  queueOptions(program.command('status'))
    .description('show a queue: queued, in flight, done, failed, requests/s per worker')
    .option('--json', 'print the status as JSON')
    .action(async (opts: QueueOptions & { json?: boolean }) => {
      await run(async () => {
        const { queueStatus, formatStatus } = await import('./status.js');
        const s = await queueStatus(opts.redis, opts.queue);
        process.stdout.write(opts.json ? JSON.stringify(s) + '\n' : formatStatus(s));
        return 0;
      });
    });
}
