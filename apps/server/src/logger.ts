import pino, { type Logger } from 'pino';
import type { LogLevel } from './config';

/** JSON lines on stdout; never the Authorization header or a token. */
export function createLogger(level: LogLevel): Logger {
  return pino({
    level,
    base: { service: 'porthole' },
    redact: { paths: ['*.authorization', '*.headers.authorization', 'adminToken', '*.token'], censor: '[redacted]' },
  });
}
