import { STATUS_CODES } from 'node:http';
import { CliError, printable } from '../cli-error';
import { parseErrorBody } from './forward-json';

const LOGIN_HINT = 'check the token: run `porthole login`, or set PORTHOLE_TOKEN';

/**
 * Porthole (or something in front of it) answered with an error status. The message is
 * the server's own, which is written for people; `code` is its stable code when the
 * answer was in Porthole's error shape.
 */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static fromResponse(status: number, statusText: string, body: string, what: string): ApiError {
    const error = parseErrorBody(body);
    if (error === undefined) {
      const text = statusText || STATUS_CODES[status] || 'error';
      return new ApiError(status, undefined, `${what} failed: the server answered ${status} ${text}`);
    }
    const message = printable(error.message);
    return new ApiError(status, error.code, status === 401 ? `${message} (${LOGIN_HINT})` : message);
  }
}

/**
 * Why a connection to Porthole failed, in words: fetch and ws both hide the system
 * error (ECONNREFUSED, ENOTFOUND, ...) as a cause or in the message.
 */
export function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const code = (cause as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name could not be resolved',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'timed out',
    EHOSTUNREACH: 'host unreachable',
  };
  const reason =
    (code !== undefined ? reasons[code] : undefined) ??
    (error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : undefined) ??
    (cause instanceof Error ? cause.message : String(cause));
  return new CliError(`cannot reach Porthole at ${url}: ${reason}`);
}
