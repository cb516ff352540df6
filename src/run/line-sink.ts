// A RunSink over a line writer (output.ts's RecordSink: stdout or a file; bench's discarding
// sink): the record is all that is kept of a job.

import type { RecordSink } from '../output.js';
import type { RunSink, SinkEvents } from './core.js';

/** What a line sink needs of its writer. */
export type LineWriter = Pick<RecordSink, 'write' | 'close' | 'backedUp' | 'onDrain' | 'onBroken' | 'onError'>;

export function lineSink(writer: LineWriter): RunSink {
  return {
    write(_job, record) {
      writer.write(record);
    },
    get backedUp() {
      return writer.backedUp;
    },
    attach(events: SinkEvents) {
      writer.onDrain = events.drain;
      writer.onBroken = events.broken;
      writer.onError = (err) => events.error('cannot write records', err);
    },
    close: () => writer.close(),
  };
}
