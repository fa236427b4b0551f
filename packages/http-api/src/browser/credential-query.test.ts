import { takeCredentialQuery } from './credential-query';

describe('takeCredentialQuery', () => {
  it.each([
    ['no query', '/a/b', { url: '/a/b' }],
    ['a query without ours: unchanged', '/a?x=1&y=%2F&z', { url: '/a?x=1&y=%2F&z' }],
    ['only the token', '/a?porthole_token=T0k', { url: '/a', token: 'T0k' }],
    ['the token among others, raw encoding kept', '/a%2Fb?x=%41&porthole_token=t&y=a+b', { url: '/a%2Fb?x=%41&y=a+b', token: 't' }],
    ['a link', '/?porthole_link=abc&tab=2', { url: '/?tab=2', link: 'abc' }],
    ['an encoded token value', '/?porthole_token=a%2Bb', { url: '/', token: 'a+b' }],
    ['an encoded parameter name', '/?porthole%5Ftoken=t', { url: '/', token: 't' }],
    ['empty value', '/?porthole_token=', { url: '/', token: '' }],
    ['a look-alike name stays', '/?porthole_token2=x', { url: '/?porthole_token2=x' }],
    ['malformed escapes elsewhere are left alone', '/?x=%E0%A4%A&porthole_token=t', { url: '/?x=%E0%A4%A', token: 't' }],
  ])('%s', (_name, raw, expected) => {
    expect(takeCredentialQuery(raw)).toEqual(expected);
  });
});
