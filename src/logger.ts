// pino on fd 2. Nothing is logged per request; at the default level (warn) sweep logs nothing
// at all, so pino (~25 ms of start-up) is only loaded when the level lets a line through.
// Anything that might carry a secret (URLs with credentials, Authorization / Cookie /
// Proxy-Authorization values) is redacted by path before it is serialized.

import { createRequire } from 'node:module';
import type { Logger } from 'pino';

export const REDACT_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers["set-cookie"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["proxy-authorization"]',
  'password',
  '*.password',
];

/** The calls sweep makes: lifecycle lines at info, request settings at debug. */
export type SweepLogger = Pick<Logger, 'info' | 'debug'>;

/** Levels at which neither info nor debug lines are written. */
const QUIET_LEVELS = new Set(['warn', 'error', 'fatal', 'silent']);
const SILENT: SweepLogger = { info: () => {}, debug: () => {} };

export function createLogger(level: string, destination: number | NodeJS.WritableStream = 2): SweepLogger {
  if (QUIET_LEVELS.has(level)) return SILENT;
  // pino is CommonJS: required synchronously, so the logger is ready when this returns.
  const pino = createRequire(import.meta.url)('pino') as typeof import('pino').default;
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '***' },
    },
    typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}
