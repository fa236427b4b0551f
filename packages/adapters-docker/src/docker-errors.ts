import { RuntimeFailure } from '@porthole/core';
import { UnexpectedEngineAnswer } from './docker-inspect';

/**
 * What went wrong talking to the engine, in the few words the adapter acts on:
 * - `not_found`: the engine answered that there is no such container;
 * - `unavailable`: the engine could not be reached, timed out, or failed on its side.
 */
export type EngineErrorKind = 'not_found' | 'unavailable';

/**
 * Reduces a dockerode / docker-modem error. docker-modem gives HTTP answers a
 * `statusCode`; socket problems arrive as Node system errors with a `code`
 * (ECONNREFUSED, ENOENT and EACCES on the socket path, ECONNRESET, ...), and timeouts as
 * AbortError. Everything that is not a clear "no such container" is `unavailable`: the
 * port has no reason for "the engine said something we did not expect", and to a caller
 * both mean the runtime cannot answer the question right now.
 */
export function classifyEngineError(error: unknown): EngineErrorKind {
  const status = statusCodeOf(error);
  if (status === 404) return 'not_found';
  // Docker 20.10 answers an ambiguous short id with a 500 "multiple IDs found with
  // provided prefix" (moby daemon/container.go GetContainer wraps it as a system error).
  // It is the reference that is bad, not the engine: treat it as no such container.
  if (status === 500 && /multiple IDs found/i.test(messageOf(error))) return 'not_found';
  return 'unavailable';
}

/**
 * The RuntimeFailure to throw instead of a raw engine error, or instead of an answer the
 * adapter cannot read (UnexpectedEngineAnswer), keeping it as the cause.
 */
export function engineUnavailable(error: unknown, doing: string): RuntimeFailure {
  const what = error instanceof UnexpectedEngineAnswer ? 'answered unexpectedly' : 'unavailable';
  return new RuntimeFailure('unavailable', `Docker engine ${what} while ${doing}: ${describeError(error)}`, {
    cause: error,
  });
}

/** A short description for messages and logs: the status or system code and the message. */
export function describeError(error: unknown): string {
  const status = statusCodeOf(error);
  const code = codeOf(error);
  const message = messageOf(error).trim();
  if (status !== undefined) return message.startsWith('(HTTP code') ? message : `HTTP ${status}: ${message}`;
  return code === undefined || message.includes(code) ? message : `${code}: ${message}`;
}

function statusCodeOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
