import { appAuthoritiesOf, rewriteLocation, scopeSetCookie } from './response-rewrite';

describe('rewriteLocation', () => {
  const pathMode = { prefix: '/p/pf_a', appAuthorities: appAuthoritiesOf(3000, { address: '172.17.0.2', port: 3000 }, 'porthole.example:8080') };
  const subdomainMode = { prefix: '', appAuthorities: appAuthoritiesOf(3000, { address: '172.17.0.2', port: 3000 }) };

  it.each([
    ['root-absolute goes into the prefix', '/login', '/p/pf_a/login'],
    ['root-absolute with a query', '/login?next=%2F', '/p/pf_a/login?next=%2F'],
    ['the root', '/', '/p/pf_a/'],
    ['already carries the prefix', '/p/pf_a/login', '/p/pf_a/login'],
    ['exactly the prefix', '/p/pf_a', '/p/pf_a'],
    ['a look-alike prefix is not the prefix', '/p/pf_ab/x', '/p/pf_a/p/pf_ab/x'],
    ['relative', 'login', 'login'],
    ['dot-relative', '../up?x=1', '../up?x=1'],
    ['query only', '?page=2', '?page=2'],
    ['another site', 'https://github.com/login', 'https://github.com/login'],
    ['protocol-relative to another site', '//cdn.example.com/x.js', '//cdn.example.com/x.js'],
    ["the container's address", 'http://172.17.0.2:3000/done', '/p/pf_a/done'],
    ['localhost at the container port', 'http://localhost:3000/a?b#c', '/p/pf_a/a?b#c'],
    ['loopback, no path', 'http://127.0.0.1:3000', '/p/pf_a/'],
    ['localhost at another port is another app', 'http://localhost:4000/x', 'http://localhost:4000/x'],
    ["Porthole's host, as the app built it from Host", 'http://porthole.example:8080/login', '/p/pf_a/login'],
    ["Porthole's host with the prefix already (X-Forwarded-Prefix aware)", 'https://porthole.example:8080/p/pf_a/x', 'https://porthole.example:8080/p/pf_a/x'],
    ['upper-case host', 'http://LOCALHOST:3000/x', '/p/pf_a/x'],
    ['another scheme', 'mailto:someone@example.com', 'mailto:someone@example.com'],
  ])('path mode: %s', (_name, location, expected) => {
    expect(rewriteLocation(location, pathMode)).toBe(expected);
  });

  it.each([
    ['root-absolute stays', '/login', '/login'],
    ["the container's address becomes the same path here", 'http://172.17.0.2:3000/done?x', '/done?x'],
    ['localhost too', 'http://localhost:3000/', '/'],
    ['a path that would read as another host collapses to this one', 'http://localhost:3000//evil.example:9999/x', '/evil.example:9999/x'],
    ['a backslash one too', 'http://172.17.0.2:3000/\\evil.example', '/evil.example'],
    ['another site stays', 'https://example.org/', 'https://example.org/'],
    ['relative stays', 'next', 'next'],
  ])('subdomain mode: %s', (_name, location, expected) => {
    expect(rewriteLocation(location, subdomainMode)).toBe(expected);
  });

  it('treats port 80 as the default port of http', () => {
    const context = { prefix: '/p/pf_a', appAuthorities: appAuthoritiesOf(80, { address: '10.0.0.5', port: 80 }) };
    expect(rewriteLocation('http://10.0.0.5/x', context)).toBe('/p/pf_a/x');
    expect(rewriteLocation('http://10.0.0.5:80/x', context)).toBe('/p/pf_a/x');
    expect(rewriteLocation('http://localhost/x', context)).toBe('/p/pf_a/x');
  });
});

describe('scopeSetCookie', () => {
  it.each([
    ['Path=/ goes to the prefix', 'sid=1; Path=/; HttpOnly', 'sid=1; Path=/p/pf_a/; HttpOnly'],
    ['a deeper path too', 'sid=1; Path=/admin', 'sid=1; Path=/p/pf_a/admin'],
    ['attribute name in any case, spacing kept', 'a=b;path=/;Secure', 'a=b;path=/p/pf_a/;Secure'],
    ['already in the prefix', 'a=b; Path=/p/pf_a/x', 'a=b; Path=/p/pf_a/x'],
    ['no Path: the browser scopes it to the request path, inside the prefix', 'a=b; HttpOnly', 'a=b; HttpOnly'],
    ['a value that looks like an attribute is not one', 'path=/; Max-Age=5', 'path=/; Max-Age=5'],
    ['Domain and Expires untouched', 'a=b; Domain=example.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/', 'a=b; Domain=example.com; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Path=/p/pf_a/'],
  ])('%s', (_name, header, expected) => {
    expect(scopeSetCookie(header, '/p/pf_a')).toBe(expected);
  });

  it('leaves __Host- cookies site-wide, as browsers require', () => {
    expect(scopeSetCookie('__Host-sid=1; Path=/; Secure', '/p/pf_a')).toBe('__Host-sid=1; Path=/; Secure');
  });

  it('changes nothing in subdomain mode', () => {
    expect(scopeSetCookie('sid=1; Path=/', '')).toBe('sid=1; Path=/');
  });
});
