import type { IncomingHttpHeaders } from 'node:http';
import { prepareUpstreamHeaders, stripHopByHopHeaders } from './forwarded-headers';

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
    ['never Host or the body framing', { connection: 'host, content-length', host: 'h', 'content-length': '3' }, { host: 'h', 'content-length': '3' }],
  ])('removes %s', (_description, headers, expected) => {
    stripHopByHopHeaders(headers);
    expect(headers).toEqual(expected);
  });
});
