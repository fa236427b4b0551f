import { tokenDigest, StaticTokenAuthenticator } from './static-token-authenticator';
import { parseTokensFile } from './tokens-file';

const parse = (value: unknown) => parseTokensFile(typeof value === 'string' ? value : JSON.stringify(value), tokenDigest);
const ALICE_TOKEN = 'alice-token-0123456789';

describe('parseTokensFile', () => {
  it('reads tokens and SHA-256 digests, and the authenticator takes both', async () => {
    const entries = parse({
      tokens: [
        { user: 'alice', role: 'user', sha256: tokenDigest(ALICE_TOKEN).toString('hex') },
        { user: 'ci', role: 'admin', token: 'ci-token-0123456789ab' },
      ],
    });
    const authenticator = new StaticTokenAuthenticator(entries);
    expect(await authenticator.authenticate(ALICE_TOKEN)).toEqual({ id: 'alice', role: 'user' });
    expect(await authenticator.authenticate('ci-token-0123456789ab')).toEqual({ id: 'ci', role: 'admin' });
    expect(await authenticator.authenticate('not-a-token-at-all')).toBeNull();
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{tokens: [', /not valid JSON/],
    ['no tokens array', { users: [] }, /"tokens" array/],
    ['an entry that is not an object', { tokens: ['alice'] }, /tokens\[0\] must be an object/],
    ['an unknown field', { tokens: [{ user: 'a', role: 'user', token: ALICE_TOKEN, plan: 'pro' }] }, /tokens\[0\] has unknown fields: plan/],
    ['a bad user id', { tokens: [{ user: 'a b', role: 'user', token: ALICE_TOKEN }] }, /tokens\[0\]\.user/],
    ['an unknown role', { tokens: [{ user: 'a', role: 'root', token: ALICE_TOKEN }] }, /tokens\[0\]\.role/],
    ['neither token nor digest', { tokens: [{ user: 'a', role: 'user' }] }, /exactly one of "token" and "sha256"/],
    ['both token and digest', { tokens: [{ user: 'a', role: 'user', token: ALICE_TOKEN, sha256: 'a'.repeat(64) }] }, /exactly one/],
    ['a short token', { tokens: [{ user: 'a', role: 'user', token: 'short' }] }, /tokens\[0\]\.token must be 16 to 256/],
    ['a digest that is not 64 hex digits', { tokens: [{ user: 'a', role: 'user', sha256: 'xyz' }] }, /tokens\[0\]\.sha256/],
    [
      'one token for two users',
      { tokens: [{ user: 'a', role: 'user', token: ALICE_TOKEN }, { user: 'b', role: 'admin', sha256: tokenDigest(ALICE_TOKEN).toString('hex') }] },
      /tokens\[1\] repeats the token/,
    ],
  ])('refuses %s, saying where', (_name, content, message) => {
    expect(() => parse(content)).toThrow(message);
  });
});
