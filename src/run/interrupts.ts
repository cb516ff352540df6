// Stop requests for a run. The run core never touches `process`: a library caller (sweep bench,
// a test, someone embedding sweep) decides what stops a run and calls `interrupt()`; the CLI
// layer forwards SIGINT / SIGTERM with forwardProcessSignals().

export type StopSignal = 'SIGINT' | 'SIGTERM';

export class Interrupts {
  readonly #listeners = new Set<(signal: StopSignal) => void>();
  /** Requests so far: a signal that came while the run was still being set up is not lost. */
  readonly #received: StopSignal[] = [];

  /** Delivers a stop request to the runs listening (first: stop; second: abort), and to later ones. */
  interrupt(signal: StopSignal): void {
    this.#received.push(signal);
    for (const listener of [...this.#listeners]) listener(signal);
  }

  /** Replays the requests received before, then listens. Returns the function that unsubscribes. */
  subscribe(listener: (signal: StopSignal) => void): () => void {
    for (const signal of this.#received) listener(signal);
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }
}

/**
 * CLI only: forwards SIGINT and SIGTERM to `interrupts` until the returned function is called.
 * The CLI keeps them until the records are out, so a late Ctrl-C cannot kill the process in the
 * middle of a write and tear a line.
 */
export function forwardProcessSignals(interrupts: Interrupts, also?: (signal: StopSignal) => void): () => void {
  const handler = (signal: NodeJS.Signals): void => {
    also?.(signal as StopSignal);
    interrupts.interrupt(signal as StopSignal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/**
 * CLI only: runs `body` with SIGINT / SIGTERM forwarded to its run until the body has returned
 * (its records and summary are out by then).
 */
export async function withProcessSignals<T>(body: (interrupts: Interrupts) => Promise<T>): Promise<T> {
  const interrupts = new Interrupts();
  const stop = forwardProcessSignals(interrupts);
  try {
    return await body(interrupts);
  } finally {
    stop();
  }
}

export const exitCodeOf = (signal: StopSignal): number => (signal === 'SIGINT' ? 130 : 143);
