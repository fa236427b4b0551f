import { DomainError } from '../domain/errors';
import { normalizeCustomDomain } from './custom-domain-rules';
import { canAccess, checkAddForward, normalizeForwardName } from './forward-rules';
import { planTable } from './plan-rules';

const ports = (...list: number[]) => list.map((containerPort) => ({ containerPort }));

describe('checkAddForward', () => {
  it.each([
    ['an empty container', ports(), 8080, 10, null],
    ['a new port under the cap', ports(80, 443), 8080, 10, null],
    ['the same port again', ports(80, 8080), 8080, 10, 'duplicate_port'],
    ['one under the cap', ports(1, 2, 3, 4, 5, 6, 7, 8, 9), 10, 10, null],
    ['at the cap', ports(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 11, 10, 'limit_reached'],
    ['a duplicate at the cap (duplicate says more)', ports(1, 2, 3), 2, 3, 'duplicate_port'],
    ['a cap of one, already used', ports(80), 81, 1, 'limit_reached'],
  ] as const)('%s', (_description, existing, port, max, expected) => {
    expect(checkAddForward(existing, port, max)).toBe(expected);
  });
});

describe('canAccess', () => {
  it.each([
    ['admin, unlabelled', { id: 'root', role: 'admin' }, null, true],
    ['admin, someone else', { id: 'root', role: 'admin' }, 'alice', true],
    ['user, own', { id: 'alice', role: 'user' }, 'alice', true],
    ['user, other', { id: 'alice', role: 'user' }, 'bob', false],
    ['user, unlabelled', { id: 'alice', role: 'user' }, null, false],
  ] as const)('%s', (_description, principal, owner, expected) => {
    expect(canAccess(principal, owner)).toBe(expected);
  });
});

describe('normalizeForwardName', () => {
  it.each([
    ['missing', undefined, null],
    ['null', null, null],
    ['blank', '   ', null],
    ['padded', '  Web Server \n', 'Web Server'],
    ['exactly 100 characters', 'x'.repeat(100), 'x'.repeat(100)],
    ['100 characters once trimmed', ` ${'y'.repeat(100)} `, 'y'.repeat(100)],
    ['100 emoji (200 UTF-16 units)', '😀'.repeat(100), '😀'.repeat(100)],
  ])('%s', (_description, input, expected) => {
    expect(normalizeForwardName(input)).toBe(expected);
  });

  it.each([
    ['a NUL byte', 'web\u0000server'],
    ['a newline inside', 'web\nserver'],
    ['an escape sequence', '\u001b[31mred'],
    ['DEL', 'web\u007f'],
    ['a C1 control', 'web\u0085'],
    ['a right-to-left override', 'txt.\u202eexe'],
    ['a bidi isolate', 'a\u2066b'],
  ])('refuses %s with invalid_request', (_description, name) => {
    expect(() => normalizeForwardName(name)).toThrow(expect.objectContaining({ code: 'invalid_request' }) as DomainError);
  });

  it('accepts letters of any script and emoji', () => {
    expect(normalizeForwardName('Café – Поиск 🚀')).toBe('Café – Поиск 🚀');
  });

  it('refuses 101 characters with invalid_request on the name field', () => {
    expect(() => normalizeForwardName('z'.repeat(101))).toThrow(
      expect.objectContaining({ code: 'invalid_request', details: [expect.objectContaining({ field: 'name' })] }) as DomainError,
    );
  });
});

describe('normalizeCustomDomain', () => {
  it.each([
    ['a fully qualified reserved name (trailing dot, as in a URL)', 'porthole.example.com.'],
    ['a reserved name in capitals', 'PORTHOLE.example.com'],
  ])('compares with %s as host names are compared', (_description, reservedName) => {
    expect(() => normalizeCustomDomain('porthole.example.com', [reservedName])).toThrow(/is Porthole's own host name/);
    expect(() => normalizeCustomDomain('x.porthole.example.com', [reservedName])).toThrow(/lies under it \(porthole.example.com\)/);
  });

  const reserved = ['porthole.example.com', 'preview.example.com'];
  it.each<[string, unknown, string | null]>([
    ['absent', undefined, null],
    ['null', null, null],
    ['a plain host name', 'app.example.com', 'app.example.com'],
    ['upper case and a trailing dot, as typed', ' App.Example.COM. ', 'app.example.com'],
    ['hyphens and digits inside labels', 'my-app-2.dev-1.example.io', 'my-app-2.dev-1.example.io'],
    ['an IDN in its xn-- form', 'xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['a 63-character label', `${'a'.repeat(63)}.example.com`, `${'a'.repeat(63)}.example.com`],
    ['a sibling of Porthole\'s host', 'other.example.com', 'other.example.com'],
  ])('takes %s', (_description, value, expected) => {
    expect(normalizeCustomDomain(value, reserved)).toBe(expected);
  });

  it.each<[string, unknown, RegExp]>([
    ['a number', 8080, /must be a host name \(a string\) or null/],
    ['an empty string', '', /must be a host name such as/],
    ['a single label', 'localhost', /must be a host name such as/],
    ['a port', 'app.example.com:8080', /no port/],
    ['a wildcard', '*.example.com', /must be a host name such as/],
    ['an IPv4 address', '10.0.0.1', /must be a host name such as/],
    ['an IPv6 address', '[::1]', /must be a host name such as/],
    ['a URL', 'https://app.example.com/', /must be a host name such as/],
    ['an empty label', 'app..example.com', /must be a host name such as/],
    ['a label starting with a hyphen', '-app.example.com', /must be a host name such as/],
    ['a 64-character label', `${'a'.repeat(64)}.example.com`, /must be a host name such as/],
    ['over 253 characters', `${'a.'.repeat(127)}com`, /must be a host name such as/],
    ['unicode (not in xn-- form)', 'bücher.example', /must be a host name such as/],
    ['an underscore', 'my_app.example.com', /must be a host name such as/],
    ['Porthole\'s own host', 'Porthole.Example.com', /is Porthole's own host name or lies under it \(porthole.example.com\)/],
    ['a host under the preview domain', 'pf-abc.preview.example.com', /lies under it \(preview.example.com\)/],
    ['a non-ASCII letter that lowercases to ASCII (the Kelvin sign)', '\u212Aelvin.example.com', /must be a host name such as/],
    ['an xn-- label that is not valid punycode', 'xn--zz.example', /must be a host name such as/],
  ])('refuses %s', (_description, value, message) => {
    expect(() => normalizeCustomDomain(value, reserved)).toThrow(message);
    try {
      normalizeCustomDomain(value, reserved);
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).details[0]?.field).toBe('custom_domain');
    }
  });
});

describe('planTable', () => {
  it.each<[string, Parameters<typeof planTable>[1], Record<string, { maxForwardsPerContainer: number; customDomains: boolean }>]>([
    [
      'the defaults: one cap for all, custom domains for pro and enterprise',
      undefined,
      {
        free: { maxForwardsPerContainer: 10, customDomains: false },
        pro: { maxForwardsPerContainer: 10, customDomains: true },
        enterprise: { maxForwardsPerContainer: 10, customDomains: true },
      },
    ],
    [
      'overrides for one plan leave the others alone',
      { free: { maxForwardsPerContainer: 3 }, enterprise: { maxForwardsPerContainer: 50 } },
      {
        free: { maxForwardsPerContainer: 3, customDomains: false },
        pro: { maxForwardsPerContainer: 10, customDomains: true },
        enterprise: { maxForwardsPerContainer: 50, customDomains: true },
      },
    ],
  ])('%s', (_description, overrides, expected) => {
    expect(planTable(10, overrides)).toEqual(expected);
  });
});
