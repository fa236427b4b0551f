import type { IncomingMessage } from 'node:http';
import { checkResponseHead, declaredResponseTooLarge, type HeadCheck, type UpstreamHead } from './upstream-response';

function head(statusCode: number, statusMessage: string, rawHeaders: string[] = []): UpstreamHead {
  return { statusCode, statusMessage, rawHeaders };
}

describe('checkResponseHead: what of the app status line and headers our client gets', () => {
  it.each<[string, UpstreamHead, HeadCheck]>([
    ['a plain answer, case and order kept', head(200, 'OK', ['Content-Type', 'text/plain', 'X-A', '1']), { ok: true, head: { status: 200, reason: 'OK', headers: ['Content-Type', 'text/plain', 'X-A', '1'] } }],
    ['every Set-Cookie', head(200, 'OK', ['Set-Cookie', 'a=1', 'set-cookie', 'b=2']), { ok: true, head: { status: 200, reason: 'OK', headers: ['Set-Cookie', 'a=1', 'set-cookie', 'b=2'] } }],
    ['an empty reason phrase, as sent', head(204, ''), { ok: true, head: { status: 204, reason: '', headers: [] } }],
    ['a status above 599', head(999, 'Odd'), { ok: true, head: { status: 999, reason: 'Odd', headers: [] } }],
    ['a reason phrase with DEL: the standard one', head(200, 'O\x7fK'), { ok: true, head: { status: 200, reason: 'OK', headers: [] } }],
    ['a reason phrase with NUL, unknown status: empty', head(799, '\x00'), { ok: true, head: { status: 799, reason: '', headers: [] } }],
    ['obs-text in the reason phrase, as sent', head(200, 'Ok\xe9'), { ok: true, head: { status: 200, reason: 'Ok\xe9', headers: [] } }],
    [
      'hop-by-hop fields and what Connection names',
      head(200, 'OK', [
        'Connection', 'keep-alive, X-Secret', 'Keep-Alive', 'timeout=9', 'X-Secret', 's', 'Proxy-Connection', 'keep-alive',
        'Transfer-Encoding', 'chunked', 'TE', 'trailers', 'Trailer', 'X-Sum', 'Upgrade', 'h2c', 'Proxy-Authenticate', 'Basic',
        'Proxy-Authentication-Info', 'x', 'X-End', 'kept',
      ]),
      { ok: true, head: { status: 200, reason: 'OK', headers: ['X-End', 'kept'] } },
    ],
    ['status 099', head(99, 'X'), { ok: false, problem: 'status 99' }],
    ['status 000', head(0, 'X'), { ok: false, problem: 'status 0' }],
    ['a 101 that reached the relay', head(101, 'Switching Protocols'), { ok: false, problem: 'status 101' }],
    ['an interim 1xx that reached the relay', head(103, 'Early Hints'), { ok: false, problem: 'status 103' }],
    ['a transfer coding other than chunked', head(200, 'OK', ['Transfer-Encoding', 'gzip, chunked']), { ok: false, problem: 'Transfer-Encoding: gzip, chunked' }],
    ['a header value Node will not send', head(200, 'OK', ['X-Bad', 'a\x01b']), { ok: false, problem: 'header "X-Bad" cannot be sent on' }],
    ['a header name Node will not send', head(200, 'OK', ['X Bad', 'v']), { ok: false, problem: 'header "X Bad" cannot be sent on' }],
  ])('%s', (_description, upstream, expected) => {
    expect(checkResponseHead(upstream)).toEqual(expected);
  });
});

describe('declaredResponseTooLarge: an answer refused by its Content-Length alone', () => {
  const answer = (statusCode: number, contentLength?: string) =>
    ({ statusCode, headers: contentLength === undefined ? {} : { 'content-length': contentLength } }) as IncomingMessage;

  it.each<[string, IncomingMessage, string, boolean]>([
    ['a body over the limit', answer(200, '1001'), 'GET', true],
    ['a body of exactly the limit', answer(200, '1000'), 'GET', false],
    ['no Content-Length (chunked or until close: counted as it streams)', answer(200), 'GET', false],
    ['an answer to HEAD, whatever its Content-Length', answer(200, '5000'), 'HEAD', false],
    ['a 204, whatever its Content-Length', answer(204, '5000'), 'GET', false],
    ['a 304, whatever its Content-Length', answer(304, '5000'), 'GET', false],
    ['an error status over the limit', answer(500, '5000'), 'POST', true],
  ])('%s', (_description, upstream, method, expected) => {
    expect(declaredResponseTooLarge(upstream, method, 1000)).toBe(expected);
  });
});
