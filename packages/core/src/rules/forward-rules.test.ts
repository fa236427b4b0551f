import { DomainError } from '../domain/errors';
import { canAccess, checkAddForward, normalizeForwardName } from './forward-rules';

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
