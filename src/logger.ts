// pino on fd 2. Nothing is logged per request at the default level; anything that might carry
// a secret (URLs with credentials, Authorization / Cookie / Proxy-Authorization values) is
// redacted by path before it is serialized.

import pino, { type Logger } from 'pino';

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

export function createLogger(level: string, destination: number | NodeJS.WritableStream = 2): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '***' },
    },
    typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}
