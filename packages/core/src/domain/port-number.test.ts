import { DomainError } from './errors';
import { parsePortNumber } from './port-number';

describe('parsePortNumber', () => {
  it.each([
    ['the lowest port', 1],
    ['a common port', 8080],
    ['the highest port', 65535],
  ])('accepts %s (%p)', (_description, value) => {
    expect(parsePortNumber(value, 'container_port')).toBe(value);
  });

  it.each([
    ['zero', 0],
    ['one past the highest', 65536],
    ['a negative number', -1],
    ['a fraction', 80.5],
    ['a numeric string (no coercion)', '8080'],
    ['null', null],
    ['a missing value', undefined],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a boolean', true],
    ['an array', [8080]],
  ])('refuses %s with invalid_port naming the field', (_description, value) => {
    let thrown: unknown;
    try {
      parsePortNumber(value, 'local_port');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    const error = thrown as DomainError;
    expect(error.code).toBe('invalid_port');
    expect(error.details).toEqual([{ field: 'local_port', message: error.message }]);
    expect(error.message).toMatch(/^local_port .*1 to 65535/);
  });

  it.each([
    ['a string, quoted', '8080', 'got "8080".'],
    ['1e400, which JSON.parse makes Infinity', JSON.parse('1e400') as number, 'got Infinity.'],
    ['null', null, 'got null.'],
  ])('says what it got: %s', (_name, value, ending) => {
    expect(() => parsePortNumber(value, 'container_port')).toThrow(ending);
  });
});
