import { fromOwnOrigin, isSafeMethod } from './origin-check';

describe('fromOwnOrigin', () => {
  const host = 'pf-abc.preview.example.com';
  it.each<[string, Record<string, string>, boolean]>([
    ['no Origin, no Sec-Fetch-Site (not a browser page)', { host }, true],
    ['the same origin', { host, origin: `https://${host}` }, true],
    ['a sibling forward (same site, other origin)', { host, origin: 'https://pf-evil.preview.example.com' }, false],
    ['another site', { host, origin: 'https://evil.example' }, false],
    ['the right host over the wrong scheme', { host, origin: `http://${host}` }, false],
    ['another port of the same host', { host: '127.0.0.1:8080', origin: 'https://127.0.0.1:9999' }, false],
    ['an opaque origin', { host, origin: 'null' }, false],
    ['Sec-Fetch-Site same-origin wins', { host, 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' }, true],
    ['Sec-Fetch-Site none (typed in the address bar)', { host, 'sec-fetch-site': 'none' }, true],
    ['Sec-Fetch-Site same-site (a sibling forward)', { host, 'sec-fetch-site': 'same-site', origin: `https://${host}` }, false],
    ['Sec-Fetch-Site cross-site', { host, 'sec-fetch-site': 'cross-site' }, false],
  ])('%s: %s', (_name, headers, expected) => {
    expect(fromOwnOrigin(headers, 'https:')).toBe(expected);
  });
});

describe('isSafeMethod', () => {
  it.each([
    ['GET', true],
    ['HEAD', true],
    ['OPTIONS', true],
    ['POST', false],
    ['PUT', false],
    ['PATCH', false],
    ['DELETE', false],
  ])('%s: %s', (method, expected) => {
    expect(isSafeMethod(method)).toBe(expected);
  });
});
