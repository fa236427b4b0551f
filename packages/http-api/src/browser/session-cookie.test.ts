import { sessionCookie, sessionCookieValues, withoutSessionCookie } from './session-cookie';

describe('sessionCookie', () => {
  it.each([
    ['path mode over http', { path: '/p/pf_a/', secure: false, maxAgeSeconds: 60 }, 'porthole_session=v; Path=/p/pf_a/; Max-Age=60; HttpOnly; SameSite=Lax'],
    ['subdomain mode over https', { path: '/', secure: true, maxAgeSeconds: 86400 }, 'porthole_session=v; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax; Secure'],
  ])('%s', (_name, scope, expected) => {
    expect(sessionCookie('v', scope)).toBe(expected);
  });

  it('never carries a Domain attribute (host-only)', () => {
    expect(sessionCookie('v', { path: '/', secure: true, maxAgeSeconds: 1 })).not.toMatch(/domain/i);
  });
});

describe('sessionCookieValues', () => {
  it.each([
    ['no header', undefined, []],
    ['only the app cookies', 'a=1; b=2', []],
    ['ours among others', 'a=1; porthole_session=xyz; b=2', ['xyz']],
    ['two of ours (two forwards in path mode)', 'porthole_session=one;porthole_session=two', ['one', 'two']],
    ['a name that only starts like ours', 'porthole_session_x=1; xporthole_session=2', []],
    ['a value with = inside', 'porthole_session=ab=cd', ['ab=cd']],
  ])('%s', (_name, header, expected) => {
    expect(sessionCookieValues(header)).toEqual(expected);
  });
});

describe('withoutSessionCookie', () => {
  it.each([
    ['no header', undefined, undefined],
    ['none of ours: unchanged, spacing and all', 'a=1;b=2;  c="x y"', 'a=1;b=2;  c="x y"'],
    ['ours in the middle', 'a=1; porthole_session=xyz; b=2', 'a=1; b=2'],
    ['ours first and last', 'porthole_session=1; a=%20x; porthole_session=2', 'a=%20x'],
    ['only ours', 'porthole_session=xyz', undefined],
    ['a look-alike name stays', 'porthole_session2=keep; porthole_session=drop', 'porthole_session2=keep'],
  ])('%s', (_name, header, expected) => {
    expect(withoutSessionCookie(header)).toBe(expected);
  });
});
