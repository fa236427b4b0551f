import type { IncomingHttpHeaders } from 'node:http';
import { prepareUpstreamHeaders, removeBearerSubprotocol, stripHopByHopHeaders } from './forwarded-headers';

const client = { remoteAddress: '192.0.2.10', encrypted: false, prefix: '/p/pf_x' };

describe('prepareUpstreamHeaders', () => {
  it.each<[string, IncomingHttpHeaders, Partial<typeof client>, IncomingHttpHeaders]>([
    [
      'a first hop',
      { host: 'h.example', authorization: 'Bearer secret', accept: '*/*' },
      {},
      { host: 'h.example', accept: '*/*', 'x-forwarded-for': '192.0.2.10', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'h.example', 'x-forwarded-prefix': '/p/pf_x' },
    ],
    [
      'an existing For chain, TLS to Porthole',
      { host: 'h.example', 'x-forwarded-for': '203.0.113.1, 198.51.100.2' },
      { encrypted: true },
      { host: 'h.example', 'x-forwarded-for': '203.0.113.1, 198.51.100.2, 192.0.2.10', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'h.example', 'x-forwarded-prefix': '/p/pf_x' },
    ],
    [
      'forged Proto/Host/Prefix, no Host header',
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil', 'x-forwarded-prefix': '/x' },
      {},
      { 'x-forwarded-for': '192.0.2.10', 'x-forwarded-proto': 'http', 'x-forwarded-prefix': '/p/pf_x' },
    ],
    [
      'an empty For header',
      { host: 'h', 'x-forwarded-for': ' ' },
      { remoteAddress: undefined },
      { host: 'h', 'x-forwarded-for': 'unknown', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'h', 'x-forwarded-prefix': '/p/pf_x' },
    ],
    [
      "Porthole's session cookie among the app's, and a subdomain-mode request (no prefix)",
      { host: 'h', cookie: 'a=1; porthole_session=s3cret; b=2' },
      { prefix: '' },
      { host: 'h', cookie: 'a=1; b=2', 'x-forwarded-for': '192.0.2.10', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'h' },
    ],
    [
      'only the session cookie: no Cookie header at all',
      { host: 'h', cookie: 'porthole_session=s3cret' },
      {},
      { host: 'h', 'x-forwarded-for': '192.0.2.10', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'h', 'x-forwarded-prefix': '/p/pf_x' },
    ],
  ])('%s', (_description, headers, overrides, expected) => {
    prepareUpstreamHeaders(headers, { ...client, ...overrides });
    expect(headers).toEqual(expected);
  });
});

describe('stripHopByHopHeaders', () => {
  it.each<[string, IncomingHttpHeaders, IncomingHttpHeaders]>([
    ['Connection: close', { host: 'h', connection: 'close', accept: 'a' }, { host: 'h', accept: 'a' }],
    ['Keep-Alive and Proxy-Connection', { connection: 'keep-alive', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive' }, {}],
    ['fields named in Connection', { connection: 'close, X-Hop', 'x-hop': '1', 'x-end': '2' }, { 'x-end': '2' }],
    ['TE', { te: 'trailers', accept: 'a' }, { accept: 'a' }],
    ['never Host or the body framing', { connection: 'host, content-length', host: 'h', 'content-length': '3' }, { host: 'h', 'content-length': '3' }],
  ])('removes %s', (_description, headers, expected) => {
    stripHopByHopHeaders(headers);
    expect(headers).toEqual(expected);
  });
});

describe('removeBearerSubprotocol (incident 6: the token rode to the app in Sec-WebSocket-Protocol)', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['the tunnel idiom alone: the header goes', 'Bearer, tok-123', undefined],
    ['as ws sends it, without spaces', 'Bearer,tok-123', undefined],
    ['among app protocols', 'chat.v1, Bearer, tok-123, chat.v2', 'chat.v1, chat.v2'],
    ['any case of Bearer', 'bearer, tok-123, chat', 'chat'],
    ['a trailing Bearer without a token', 'chat, Bearer', 'chat'],
    ['twice', 'Bearer, a, x, BEARER, b', 'x'],
    ['no Bearer: left exactly as sent', 'chat.v1,chat.v2', 'chat.v1,chat.v2'],
    ['no header', undefined, undefined],
    ['a run of Bearers: the entry after the run goes', 'Bearer, Bearer, tok-123', undefined],
  ])('%s', (_description, offered, expected) => {
    const headers: IncomingHttpHeaders = offered === undefined ? {} : { 'sec-websocket-protocol': offered };
    removeBearerSubprotocol(headers);
    expect(headers['sec-websocket-protocol']).toBe(expected);
    expect('sec-websocket-protocol' in headers).toBe(expected !== undefined);
  });

  it.each<[string, string, string | undefined]>([
    ['the token before Bearer', 'tok-123, Bearer', undefined],
    ['the token alone', 'tok-123', undefined],
    ['the token among app protocols', 'chat, tok-123', 'chat'],
  ])('removes the presented credential wherever it stands: %s', (_description, offered, expected) => {
    const headers: IncomingHttpHeaders = { authorization: 'Bearer tok-123', 'sec-websocket-protocol': offered };
    prepareUpstreamHeaders(headers, client);
    expect(headers['sec-websocket-protocol']).toBe(expected);
    expect(JSON.stringify(headers)).not.toContain('tok-123');
  });

  it('removes Proxy-Authorization, a credential meant for a proxy', () => {
    const headers: IncomingHttpHeaders = { 'proxy-authorization': 'Basic c2VjcmV0' };
    prepareUpstreamHeaders(headers, client);
    expect(headers['proxy-authorization']).toBeUndefined();
  });

  it('is part of prepareUpstreamHeaders, with the Authorization header', () => {
    const headers: IncomingHttpHeaders = { authorization: 'Bearer tok-123', 'sec-websocket-protocol': 'Bearer, tok-123' };
    prepareUpstreamHeaders(headers, client);
    expect(JSON.stringify(headers)).not.toContain('tok-123');
  });
});
