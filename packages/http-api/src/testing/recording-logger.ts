import type { Logger } from '../logger';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  readonly level: LogLevel;
  readonly object: object;
  readonly message: string | undefined;
}

/** Keeps every log line, so tests can assert that nothing unexpected was logged. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];

  debug(object: object, message?: string): void {
    this.entries.push({ level: 'debug', object, message });
  }

  info(object: object, message?: string): void {
    this.entries.push({ level: 'info', object, message });
  }

  warn(object: object, message?: string): void {
    this.entries.push({ level: 'warn', object, message });
  }

  error(object: object, message?: string): void {
    this.entries.push({ level: 'error', object, message });
  }

  /** Messages logged at `level` or above. */
  messages(level: LogLevel): string[] {
    const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    const min = order.indexOf(level);
    return this.entries.filter((e) => order.indexOf(e.level) >= min).map((e) => e.message ?? '');
  }
}
