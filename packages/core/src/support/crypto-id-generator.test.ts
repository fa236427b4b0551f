import { isForwardId } from '../domain/forward-id';
import { CryptoIdGenerator } from './crypto-id-generator';

describe('CryptoIdGenerator', () => {
  const ids = new CryptoIdGenerator();

  it('makes pf_ plus 24 lowercase base36 characters', () => {
    const id = ids.forwardId();
    expect(id).toMatch(/^pf_[0-9a-z]{24}$/);
    expect(isForwardId(id)).toBe(true);
  });

  it('does not repeat itself and uses the whole alphabet', () => {
    const sample = Array.from({ length: 5000 }, () => ids.forwardId());
    expect(new Set(sample).size).toBe(sample.length);
    const characters = new Set(sample.join('').replace(/pf_/g, ''));
    expect(characters.size).toBe(36);
  });
});

describe('isForwardId', () => {
  it.each([
    ['a generated-looking id', 'pf_4kX9c2Lq7ZtB9aQw1xYz', true],
    ['the shortest allowed', `pf_${'a'.repeat(16)}`, true],
    ['too short to be unguessable', 'pf_4kX9c2Lq7ZtB', false],
    ['no prefix', '4kX9c2Lq7ZtB9aQw1xYz', false],
    ['path characters', 'pf_../../etc/passwd12', false],
    ['empty', '', false],
  ])('%s', (_description, value, expected) => {
    expect(isForwardId(value)).toBe(expected);
  });
});
