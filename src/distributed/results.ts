// `sweep results`: the results stream as NDJSON, to stdout or -o. The stream already holds one
// record per enqueued line (a reclaimed entry's second record is never written: see COMPLETE in
// redis.ts), so export is a straight read in stream order. --follow keeps reading as workers
// add records and ends when the queue is finished (or on Ctrl-C).

import { RecordSink } from '../output.js';
import { connect, isFinished, queueKeys, queueState } from './redis.js';

export interface ResultsOptions {
  redis: string;
  queue: string;
  output: string | null;
  follow: boolean;
}

const PAGE = 5_000;

type Entry = [string, string[]];

function recordOf(fields: string[]): string | null {
  for (let i = 0; i < fields.length; i += 2) if (fields[i] === 'r') return fields[i + 1]! + '\n';
  return null;
}

export async function exportResults(opts: ResultsOptions): Promise<{ records: number; exitCode: number }> {
  const redis = await connect(opts.redis);
  const keys = queueKeys(opts.queue);
  const sink = new RecordSink(opts.output);
  let records = 0;
  let exitCode = 0;
  let stopped = false;
  let wake: () => void = () => {};
  sink.onDrain = () => wake();
  sink.onBroken = () => {
    stopped = true;
    wake();
  };
  sink.onError = (err) => {
    process.stderr.write(`sweep: cannot write records: ${err.message}\n`);
    exitCode = 1;
    stopped = true;
    wake();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    exitCode = signal === 'SIGINT' ? 130 : 143;
    stopped = true;
    // A blocked XREAD ends when the connection closes.
    redis.disconnect();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const write = async (entries: Entry[]): Promise<void> => {
    for (const [, fields] of entries) {
      const r = recordOf(fields);
      if (r === null) continue;
      sink.write(r);
      records++;
    }
    if (sink.backedUp) await new Promise<void>((resolve) => (wake = resolve));
  };

  try {
    let last = '-';
    while (!stopped) {
      const page = (await redis.xrange(keys.results, last === '-' ? '-' : `(${last}`, '+', 'COUNT', PAGE)) as Entry[];
      if (page.length > 0) {
        last = page[page.length - 1]![0];
        await write(page);
        continue;
      }
      if (!opts.follow) break;
      // At the end of what is there: done if the queue is finished, else wait for more.
      if (isFinished(await queueState(redis, keys))) {
        // Records written between the last page and the check above are still to be read.
        const rest = (await redis.xrange(keys.results, last === '-' ? '-' : `(${last}`, '+')) as Entry[];
        await write(rest);
        break;
      }
      const reply = (await redis.xread('COUNT', PAGE, 'BLOCK', 1_000, 'STREAMS', keys.results, last === '-' ? '0' : last)) as
        | [string, Entry[]][]
        | null;
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length > 0) {
        last = entries[entries.length - 1]![0];
        await write(entries);
      }
    }
  } catch (err) {
    if (!stopped) throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sink.close();
    redis.disconnect();
  }
  return { records, exitCode };
}
