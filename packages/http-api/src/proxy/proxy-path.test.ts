import { parseProxyUrl } from './proxy-path';

const ID = 'pf_4kX9c2Lq7ZtB00000000';

describe('parseProxyUrl', () => {
  it.each([
    ['a path and query, raw', `/p/${ID}/a/b%2Fc;v=1?q=%20&q=2`, '/a/b%2Fc;v=1?q=%20&q=2'],
    ['the root', `/p/${ID}/`, '/'],
    ['double slashes', `/p/${ID}//x//y`, '//x//y'],
    ['a fragment-looking character', `/p/${ID}/a#b`, '/a#b'],
    ['an empty id (looked up, never redirected)', '/p//x', '/x'],
    ['an empty id and nothing else', '/p/', '/'],
  ])('forwards %s', (_description, url, upstreamUrl) => {
    expect(parseProxyUrl(url)).toMatchObject({ kind: 'forward', upstreamUrl });
  });

  it('keeps the prefix to strip', () => {
    expect(parseProxyUrl(`/p/${ID}/x`)).toEqual({ kind: 'forward', forwardId: ID, prefix: `/p/${ID}`, upstreamUrl: '/x' });
  });

  it.each([
    ['no slash, no query', `/p/${ID}`, `/p/${ID}/`, '/'],
    ['no slash, a query', `/p/${ID}?x=1&y=%20`, `/p/${ID}/?x=1&y=%20`, '/?x=1&y=%20'],
  ])('redirects %s', (_description, url, location, upstreamUrl) => {
    expect(parseProxyUrl(url)).toEqual({ kind: 'redirect', forwardId: ID, prefix: `/p/${ID}`, location, upstreamUrl });
  });

  it.each([['/'], ['/p'], ['/px/abc'], ['/api/containers'], ['/P/abc/']])('does not match %s', (url) => {
    expect(parseProxyUrl(url)).toEqual({ kind: 'no_match' });
  });
});
