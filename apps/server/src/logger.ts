import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/**
 * JSON lines on stdout; never the Authorization header or a token. Written synchronously,
 * as Node writes stdout itself: pino's default buffers and writes later, which put the
 * start-up lines ("forwards restored") after the banner that says Porthole is serving,
 * and can lose the last lines of a crash. At the default level there are a few lines per
 * forward, not per request, so the writes cost nothing worth buffering for.
 */
export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: { service: 'porthole' },
      redact: { paths: ['*.authorization', '*.headers.authorization', 'adminToken', '*.token'], censor: '[redacted]' },
    },
    pino.destination({ dest: 1, sync: true }),
  );
}
