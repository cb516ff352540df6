// --save-types, apart from save-dir.ts so that the command line can check it without loading
// the writer (zlib, fs streams) on every start.

import { UsageError } from '../errors.js';

/** Parses --save-types: `text/html,application/pdf,image/*`. */
export function parseSaveTypes(list: string): string[] {
  const types = list
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t !== '');
  for (const t of types) {
    if (!/^[a-z0-9!#$&^_.+-]+\/(\*|[a-z0-9!#$&^_.+-]+)$/.test(t)) {
      throw new UsageError(`--save-types: "${t}" is not a media type like text/html or image/*`);
    }
  }
  if (types.length === 0) throw new UsageError('--save-types: give at least one media type');
  return types;
}
