// --save-dir (and --save-types): the exchange tap that writes each 2xx body, decoded, under
// <dir>/<host>[_<port>]/<path> (save-path.ts, save-dir.ts). Redirect hops answer 3xx and are not
// saved; the final response's file name lands in the URL's record as `saved`.

import type { ExchangeEnd, ExchangeObserver, ExchangeRequest, ExchangeTap, TappedTask } from '../exchange.js';
import { SaveDirWriter } from './save-dir.js';

export class SaveTap implements ExchangeTap {
  readonly #writer: SaveDirWriter;
  onDrain?: () => void;

  private constructor(writer: SaveDirWriter) {
    this.#writer = writer;
    writer.onDrain = () => this.onDrain?.();
  }

  static async open(dir: string, types: readonly string[] | null): Promise<SaveTap> {
    return new SaveTap(await SaveDirWriter.open({ dir, types }));
  }

  get backedUp(): boolean {
    return this.#writer.backedUp;
  }

  open(task: TappedTask, request: ExchangeRequest): ExchangeObserver {
    const url = request.origin + request.path;
    const writer = this.#writer;
    let file: ReturnType<SaveDirWriter['begin']> = null;
    return {
      head(status, _statusText, rawHeaders) {
        file = writer.begin(url, status, rawHeaders);
      },
      data(chunk) {
        return file === null ? true : file.data(chunk);
      },
      async end(outcome: ExchangeEnd) {
        if (file === null) return;
        if (outcome.error !== null && !outcome.truncated) {
          file.abort();
          return;
        }
        const saved = await file.end({ truncated: outcome.truncated });
        if (saved.path !== null) task.setField('saved', JSON.stringify(saved.path));
      },
    };
  }

  close(): Promise<void> {
    return this.#writer.close();
  }
}
