import { DomainErrors } from './errors';

describe('DomainErrors.limitExceeded', () => {
  it.each<[string, number, string]>([
    ['one forward: singular', 1, 'This container already has the maximum of 1 port forward; delete one first.'],
    ['two forwards: plural', 2, 'This container already has the maximum of 2 port forwards; delete one first.'],
    ['the default cap', 10, 'This container already has the maximum of 10 port forwards; delete one first.'],
  ])('%s', (_name, max, message) => {
    expect(DomainErrors.limitExceeded(max).message).toBe(message);
  });
});
