import { RuntimeFailure } from '@porthole/core';
import { classifyEngineError, describeError, engineUnavailable, type EngineErrorKind } from './docker-errors';
import { UnexpectedEngineAnswer } from './docker-inspect';

/** Errors shaped the way docker-modem hands them over. */
function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message} `), { statusCode });
}

function systemError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('classifyEngineError', () => {
  it.each<[string, unknown, EngineErrorKind]>([
    ['404 no such container', httpError(404, 'No such container: web'), 'not_found'],
    [
      '500 for an ambiguous short id (Docker 20.10)',
      httpError(500, 'multiple IDs found with provided prefix: 3f'),
      'not_found',
    ],
    ['any other 500', httpError(500, 'Internal Server Error'), 'unavailable'],
    ['503 from a proxy in front of the engine', httpError(503, 'Service Unavailable'), 'unavailable'],
    ['an unexpected 400', httpError(400, 'bad parameter'), 'unavailable'],
    ['socket refused', systemError('ECONNREFUSED', 'connect ECONNREFUSED /var/run/docker.sock'), 'unavailable'],
    ['socket missing', systemError('ENOENT', 'connect ENOENT /tmp/nope.sock'), 'unavailable'],
    ['socket not permitted', systemError('EACCES', 'connect EACCES /var/run/docker.sock'), 'unavailable'],
    ['connection reset', systemError('ECONNRESET', 'socket hang up'), 'unavailable'],
    ['request timed out (abort)', Object.assign(new Error('The operation was aborted'), { name: 'AbortError' }), 'unavailable'],
    ['not even an Error', 'boom', 'unavailable'],
    ['null', null, 'unavailable'],
  ])('%s', (_description, error, kind) => {
    expect(classifyEngineError(error)).toBe(kind);
  });
});

describe('engineUnavailable', () => {
  it('wraps the raw error as a RuntimeFailure that says what was being done', () => {
    const cause = systemError('ENOENT', 'connect ENOENT /tmp/nope.sock');
    const failure = engineUnavailable(cause, 'looking up container web');
    expect(failure).toBeInstanceOf(RuntimeFailure);
    expect(failure.reason).toBe('unavailable');
    expect(failure.message).toBe('Docker engine unavailable while looking up container web: connect ENOENT /tmp/nope.sock');
    expect(failure.cause).toBe(cause);
  });

  it('says the engine answered unexpectedly when it did, keeping what was wrong as the cause', () => {
    const cause = new UnexpectedEngineAnswer('State is not a JSON object but null');
    const failure = engineUnavailable(cause, 'looking up container web');
    expect(failure.reason).toBe('unavailable');
    expect(failure.message).toBe(
      'Docker engine answered unexpectedly while looking up container web: State is not a JSON object but null',
    );
    expect(failure.cause).toBe(cause);
  });
});

describe('describeError', () => {
  it.each<[string, unknown, string]>([
    ['docker-modem HTTP errors as they are', httpError(500, 'oops'), '(HTTP code 500) unexpected - oops'],
    ['other HTTP errors with their status', Object.assign(new Error('nope'), { statusCode: 502 }), 'HTTP 502: nope'],
    ['a system error whose message has its code', systemError('ECONNREFUSED', 'connect ECONNREFUSED x'), 'connect ECONNREFUSED x'],
    ['a system error whose message lacks its code', systemError('ECONNRESET', 'socket hang up'), 'ECONNRESET: socket hang up'],
    ['a string', 'boom', 'boom'],
  ])('%s', (_description, error, text) => {
    expect(describeError(error)).toBe(text);
  });
});
