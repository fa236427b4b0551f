import { tokenDigest, StaticTokenAuthenticator } from './static-token-authenticator';
import { parseTokensFile, tokensFileFormat } from './tokens-file';

const parse = (value: unknown) => parseTokensFile(typeof value === 'string' ? value : JSON.stringify(value), tokenDigest, 'json');
const parseYaml = (text: string) => parseTokensFile(text, tokenDigest, 'yaml');
const ALICE_TOKEN = 'alice-token-0123456789';
const ALICE_SHA256 = tokenDigest(ALICE_TOKEN).toString('hex');
const BOB_TOKEN = 'bob-token-0123456789ab';
const CAROL_TOKEN = 'carol-token-0123456789';

describe('parseTokensFile', () => {
  it('reads tokens and SHA-256 digests, and the authenticator takes both', async () => {
    const entries = parse({
      tokens: [
        { user: 'alice', role: 'user', sha256: ALICE_SHA256 },
        { user: 'ci', role: 'admin', token: 'ci-token-0123456789ab' },
      ],
    });
    const authenticator = new StaticTokenAuthenticator(entries);
    expect(await authenticator.authenticate(ALICE_TOKEN)).toEqual({ id: 'alice', role: 'user' });
    expect(await authenticator.authenticate('ci-token-0123456789ab')).toEqual({ id: 'ci', role: 'admin' });
    expect(await authenticator.authenticate('not-a-token-at-all')).toBeNull();
  });

  it.each<[string, () => ReturnType<typeof parse>, unknown]>([
    ['JSON without a plan: none on the principal', () => parse({ tokens: [{ user: 'alice', role: 'user', token: ALICE_TOKEN }] }), { id: 'alice', role: 'user' }],
    ['JSON with a plan', () => parse({ tokens: [{ user: 'alice', role: 'user', plan: 'pro', token: ALICE_TOKEN }] }), { id: 'alice', role: 'user', plan: 'pro' }],
    ['JSON: an admin with a plan', () => parse({ tokens: [{ user: 'ops', role: 'admin', plan: 'free', token: ALICE_TOKEN }] }), { id: 'ops', role: 'admin', plan: 'free' }],
    ['JSON after a byte order mark', () => parse(`\uFEFF${JSON.stringify({ tokens: [{ user: 'alice', role: 'user', token: ALICE_TOKEN }] })}`), { id: 'alice', role: 'user' }],
    ['YAML without a plan', () => parseYaml(`tokens:\n  - user: alice\n    role: user\n    token: ${ALICE_TOKEN}\n`), { id: 'alice', role: 'user' }],
    ['YAML with a plan', () => parseYaml(`tokens:\n  - user: alice\n    role: user\n    plan: enterprise\n    token: ${ALICE_TOKEN}\n`), { id: 'alice', role: 'user', plan: 'enterprise' }],
    ['YAML with a digest and a comment', () => parseYaml(`# who may use Porthole\ntokens:\n  - { user: alice, role: user, sha256: ${ALICE_SHA256} }\n`), { id: 'alice', role: 'user' }],
    ['YAML in JSON syntax (JSON is YAML)', () => parseYaml(JSON.stringify({ tokens: [{ user: 'alice', role: 'user', plan: 'free', token: ALICE_TOKEN }] })), { id: 'alice', role: 'user', plan: 'free' }],
  ])('reads %s', (_name, read, principal) => {
    const [entry, ...others] = read();
    expect(entry?.principal).toEqual(principal);
    expect(others).toEqual([]);
  });

  it('takes several tokens for one user with the same role and plan (rotation)', async () => {
    const authenticator = new StaticTokenAuthenticator(
      parse({
        tokens: [
          { user: 'alice', role: 'user', plan: 'pro', sha256: ALICE_SHA256 },
          { user: 'alice', role: 'user', plan: 'pro', token: BOB_TOKEN },
        ],
      }),
    );
    expect(await authenticator.authenticate(ALICE_TOKEN)).toEqual({ id: 'alice', role: 'user', plan: 'pro' });
    expect(await authenticator.authenticate(BOB_TOKEN)).toEqual({ id: 'alice', role: 'user', plan: 'pro' });
  });

  it('takes no plan and "free" on one user\'s entries as the same plan, which they are', () => {
    const entries = parse({
      tokens: [
        { user: 'alice', role: 'user', token: ALICE_TOKEN },
        { user: 'alice', role: 'user', plan: 'free', token: BOB_TOKEN },
      ],
    });
    expect(entries.map((entry) => entry.principal)).toEqual([{ id: 'alice', role: 'user' }, { id: 'alice', role: 'user', plan: 'free' }]);
  });

  it('keeps an unquoted YAML token of digits as written (not a rounded number)', async () => {
    const authenticator = new StaticTokenAuthenticator(parseYaml('tokens:\n  - user: alice\n    role: user\n    token: 01234567890123456789\n'));
    expect(await authenticator.authenticate('01234567890123456789')).toEqual({ id: 'alice', role: 'user' });
  });

  it.each<[string, unknown, RegExp]>([
    ['a syntax error', '{tokens: [', /^not valid JSON \(/],
    ['no tokens array', { users: [] }, /must be a JSON object with a "tokens" array/],
    ['an entry that is not an object', { tokens: ['alice'] }, /tokens\[0\] must be an object/],
    ['an unknown field', { tokens: [{ user: 'a', role: 'user', token: ALICE_TOKEN, quota: 3 }] }, /tokens\[0\] has unknown fields: quota/],
    ['a bad user id', { tokens: [{ user: 'a b', role: 'user', token: ALICE_TOKEN }] }, /tokens\[0\]\.user/],
    ['an unknown role', { tokens: [{ user: 'a', role: 'root', token: ALICE_TOKEN }] }, /tokens\[0\]\.role/],
    ['the admin token\'s user id, as an admin', { tokens: [{ user: 'admin', role: 'admin', token: ALICE_TOKEN }] }, /^tokens\[0\]: the user id admin is the admin token's; give this entry another$/],
    ['the admin token\'s user id, as a user', { tokens: [{ user: 'admin', role: 'user', sha256: ALICE_SHA256 }] }, /^tokens\[0\]: the user id admin is the admin token's/],
    ['an unknown plan', { tokens: [{ user: 'a', role: 'user', plan: 'gold', token: ALICE_TOKEN }] }, /^tokens\[0\]\.plan must be "free", "pro" or "enterprise"$/],
    ['a plan that is not a string', { tokens: [{ user: 'a', role: 'user', plan: null, token: ALICE_TOKEN }] }, /tokens\[0\]\.plan must be/],
    ['a plan in capitals', { tokens: [{ user: 'a', role: 'user', plan: 'Pro', token: ALICE_TOKEN }] }, /tokens\[0\]\.plan must be/],
    ['neither token nor digest', { tokens: [{ user: 'a', role: 'user' }] }, /exactly one of "token" and "sha256"/],
    ['both token and digest', { tokens: [{ user: 'a', role: 'user', token: ALICE_TOKEN, sha256: 'a'.repeat(64) }] }, /exactly one/],
    ['a short token', { tokens: [{ user: 'a', role: 'user', token: 'short' }] }, /tokens\[0\]\.token must be 16 to 256/],
    ['a digest that is not 64 hex digits', { tokens: [{ user: 'a', role: 'user', sha256: 'xyz' }] }, /tokens\[0\]\.sha256/],
    [
      'one token for two users',
      { tokens: [{ user: 'a', role: 'user', token: ALICE_TOKEN }, { user: 'b', role: 'admin', sha256: ALICE_SHA256 }] },
      /tokens\[1\] repeats the token/,
    ],
    [
      'one user with two roles',
      { tokens: [{ user: 'alice', role: 'user', token: ALICE_TOKEN }, { user: 'alice', role: 'admin', token: BOB_TOKEN }] },
      /^tokens\[1\] gives user alice another role than tokens\[0\]$/,
    ],
    [
      'one user with two plans',
      { tokens: [{ user: 'alice', role: 'user', plan: 'free', token: ALICE_TOKEN }, { user: 'alice', role: 'user', plan: 'pro', token: BOB_TOKEN }] },
      /^tokens\[1\] gives user alice another plan than tokens\[0\]$/,
    ],
    [
      'one user with a plan on one entry only',
      { tokens: [{ user: 'alice', role: 'user', token: ALICE_TOKEN }, { user: 'alice', role: 'user', plan: 'pro', token: BOB_TOKEN }] },
      /^tokens\[1\] gives user alice another plan than tokens\[0\]$/,
    ],
    [
      'a third entry that disagrees with the first, naming the first',
      {
        tokens: [
          { user: 'alice', role: 'user', plan: 'pro', token: ALICE_TOKEN },
          { user: 'bob', role: 'admin', token: BOB_TOKEN },
          { user: 'alice', role: 'admin', plan: 'pro', token: CAROL_TOKEN },
        ],
      },
      /^tokens\[2\] gives user alice another role than tokens\[0\]$/,
    ],
  ])('refuses JSON with %s, saying where', (_name, content, message) => {
    expect(() => parse(content)).toThrow(message);
  });

  it.each<[string, string, RegExp]>([
    ['a syntax error, naming its line', 'tokens:\n  - user: alice\n    role user\n', /^not valid YAML \(.* at line 3, column 5\)$/],
    ['a bad indent, naming its line', 'tokens:\n  - user: alice\n   role: user\n', /^not valid YAML \(.* at line 3, column 1\)$/],
    ['a key given twice', `tokens:\n  - user: alice\n    user: bob\n    role: user\n    token: ${ALICE_TOKEN}\n`, /^not valid YAML \(Map keys must be unique at line 3/],
    ['two documents', 'tokens: []\n---\ntokens: []\n', /^not valid YAML \(Source contains multiple documents/],
    ['an alias without an anchor', 'tokens: *everyone\n', /^not valid YAML \(.*everyone/],
    ['an empty file', '', /must be a YAML mapping with a "tokens" list/],
    ['a list instead of a mapping', `- user: alice\n  role: user\n  token: ${ALICE_TOKEN}\n`, /must be a YAML mapping with a "tokens" list/],
    [
      'an unknown plan, naming the entry and its line',
      `tokens:\n  - user: alice\n    role: user\n    token: ${ALICE_TOKEN}\n  - user: bob\n    role: user\n    plan: gold\n    token: bob-token-0123456789\n`,
      /^tokens\[1\]\.plan must be "free", "pro" or "enterprise" \(line 5\)$/,
    ],
    ['an empty plan', `tokens:\n  - user: alice\n    role: user\n    plan:\n    token: ${ALICE_TOKEN}\n`, /^tokens\[0\]\.plan must be .* \(line 2\)$/],
    ['an unknown role, naming its line', `tokens:\n  - user: alice\n    role: root\n    token: ${ALICE_TOKEN}\n`, /^tokens\[0\]\.role must be "admin" or "user" \(line 2\)$/],
    ['an entry that is not a mapping', 'tokens:\n  - alice\n', /^tokens\[0\] must be an object \(line 2\)$/],
    [
      'one user with two roles, naming the later entry\'s line',
      `tokens:\n  - user: alice\n    role: user\n    token: ${ALICE_TOKEN}\n  - user: alice\n    role: admin\n    token: ${BOB_TOKEN}\n`,
      /^tokens\[1\] gives user alice another role than tokens\[0\] \(line 5\)$/,
    ],
  ])('refuses YAML with %s', (_name, text, message) => {
    expect(() => parseYaml(text)).toThrow(message);
  });
});

describe('tokensFileFormat', () => {
  it.each<[string, string, ReturnType<typeof tokensFileFormat>]>([
    ['.yaml is YAML', '/etc/porthole/tokens.yaml', 'yaml'],
    ['.yml is YAML', 'tokens.yml', 'yaml'],
    ['the extension in capitals too', 'TOKENS.YML', 'yaml'],
    ['.json is JSON', '/etc/porthole/tokens.json', 'json'],
    ['no extension is JSON', '/run/secrets/porthole-tokens', 'json'],
    ['"yaml" in a directory name does not count', '/etc/yaml/tokens', 'json'],
  ])('%s', (_name, file, format) => {
    expect(tokensFileFormat(file)).toBe(format);
  });
});
