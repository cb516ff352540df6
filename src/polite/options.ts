// Checks of the long-crawl options' files, at the boundary (exit 2 with a message naming the option).

import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { UsageError } from '../errors.js';

/** --resume FILE must be a regular file, or not exist yet in a directory that does. */
export function checkResumeFile(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`cannot read --resume file '${path}': ${String((err as NodeJS.ErrnoException).code)}`);
    checkParentDir('--resume', path);
    return;
  }
  if (!isFile) throw new UsageError(`--resume file '${path}' is not a regular file`);
}

/** Fails before the run when the directory a file is to be written in does not exist. */
export function checkParentDir(option: string, path: string): void {
  try {
    if (statSync(dirname(path)).isDirectory()) return;
  } catch {
    // fall through
  }
  throw new UsageError(`${option} file '${path}': its directory does not exist`);
}
