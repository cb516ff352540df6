// The end of a run for people and for scripts: the summary on stderr and --summary-json, the
// same for a local crawl and a Redis worker (adapters add lines and keys of their own).

import { writeFile } from 'node:fs/promises';
import type { CrawlConfig } from '../config.js';
import { formatSummary, summaryJson } from '../report.js';
import type { RunOutcome } from './core.js';

export interface SummaryExtras {
  /** Lines for people after the common ones (newline-terminated). */
  text?: string;
  /** Keys added to the JSON document. */
  json?: Record<string, unknown>;
}

/**
 * Writes the summary; resolves to the run's exit code: the outcome's, or 1 when --summary-json
 * could not be written (said in one line: the records are complete, the summary file is not).
 */
export async function reportOutcome(
  cfg: CrawlConfig,
  outcome: RunOutcome,
  stderr: NodeJS.WritableStream,
  extras: SummaryExtras = {},
): Promise<number> {
  const { snapshot, polite, interrupted } = outcome;
  if (!cfg.quiet && !outcome.quiet) {
    stderr.write(formatSummary(snapshot));
    if (polite !== null) stderr.write((await import('../polite/politeness.js')).formatPoliteSummary(polite));
    if (extras.text !== undefined) stderr.write(extras.text);
    if (interrupted !== null) {
      stderr.write(
        `  interrupted    by ${interrupted.signal}: ${interrupted.aborted} requests aborted, ` +
          `${interrupted.notStarted} lines read but not started (no record)\n`,
      );
    }
  }
  if (cfg.summaryJson !== null) {
    const document = {
      ...snapshot,
      ...(polite === null ? {} : { polite }),
      ...extras.json,
      interrupted,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
    try {
      await writeFile(cfg.summaryJson, summaryJson(document));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      stderr.write(`sweep: cannot write --summary-json ${cfg.summaryJson}: ${e.code ?? e.message}\n`);
      return outcome.exitCode === 0 ? 1 : outcome.exitCode;
    }
  }
  return outcome.exitCode;
}
