import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type KeyLike } from 'jose';
import { AnyOfAuthenticators, JwtAuthenticator } from './jwt-authenticator';
import { StaticTokenAuthenticator } from './static-token-authenticator';

const SECRET = 'a-shared-secret-of-at-least-32-bytes!!';
const now = () => Math.floor(Date.now() / 1000);

function hs256(claims: Record<string, unknown>, secret = SECRET, headerAlg = 'HS256') {
  return new SignJWT(claims).setProtectedHeader({ alg: headerAlg }).sign(new TextEncoder().encode(secret));
}

describe('JwtAuthenticator with a shared secret (HS256)', () => {
  const authenticator = new JwtAuthenticator({ secret: SECRET, issuer: 'https://platform.example', audience: 'porthole' });
  const exp = now() + 60;
  const good = { sub: 'alice', iss: 'https://platform.example', aud: 'porthole', exp };
  // Sessions and links made with the token end when it does.
  const expiresAt = new Date(exp * 1000);

  it.each<[string, Record<string, unknown>, unknown]>([
    ['a user without a plan claim: no plan on the principal', good, { id: 'alice', role: 'user', expiresAt }],
    ['an admin', { ...good, sub: 'ops', role: 'admin' }, { id: 'ops', role: 'admin', expiresAt }],
    ['an expired token', { ...good, exp: now() - 60 }, null],
    ['no exp: it would be a credential forever', { ...good, exp: undefined }, null],
    ['an admin without exp', { ...good, sub: 'ops', role: 'admin', exp: undefined }, null],
    ['an exp that is not a number', { ...good, exp: 'tomorrow' }, null],
    ['an exp past the last date there is (1e300): no session could end', { ...good, exp: 1e300 }, null],
    ['an exp one second past the last date there is', { ...good, exp: 8_640_000_000_001 }, null],
    ['a token not valid yet', { ...good, nbf: now() + 60 }, null],
    ['another issuer', { ...good, iss: 'https://evil.example' }, null],
    ['another audience', { ...good, aud: 'someone-else' }, null],
    ['no subject', { ...good, sub: undefined }, null],
    ['an unknown role', { ...good, role: 'root' }, null],
    ['a pro user', { ...good, plan: 'pro' }, { id: 'alice', role: 'user', plan: 'pro', expiresAt }],
    ['an enterprise user', { ...good, plan: 'enterprise' }, { id: 'alice', role: 'user', plan: 'enterprise', expiresAt }],
    ['an admin on the free plan', { ...good, sub: 'ops', role: 'admin', plan: 'free' }, { id: 'ops', role: 'admin', plan: 'free', expiresAt }],
    ['an unknown plan', { ...good, plan: 'gold' }, null],
    ['a plan in capitals', { ...good, plan: 'Pro' }, null],
    ['a plan that is not a string', { ...good, plan: 2 }, null],
    ['a null plan', { ...good, plan: null }, null],
  ])('%s', async (_name, claims, expected) => {
    expect(await authenticator.authenticate(await hs256(claims))).toEqual(expected);
  });

  it('refuses a token signed with another secret', async () => {
    expect(await authenticator.authenticate(await hs256(good, 'another-secret-of-at-least-32-bytes!!!'))).toBeNull();
  });

  it('refuses alg "none" and garbage', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(good)).toString('base64url')}.`;
    expect(await authenticator.authenticate(unsigned)).toBeNull();
    expect(await authenticator.authenticate('a.b.c')).toBeNull();
    expect(await authenticator.authenticate('not-a-jwt-token-at-all')).toBeNull();
  });
});

describe('JwtAuthenticator against a JWKS (ES256)', () => {
  let server: Server;
  let url: string;
  let privateKey: KeyLike;
  let fetches = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      fetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('verifies against the published key, fetched once', async () => {
    const authenticator = new JwtAuthenticator({ jwksUrl: url });
    const token = await new SignJWT({ sub: 'bob' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setExpirationTime('1m').sign(privateKey);
    expect(await authenticator.authenticate(token)).toMatchObject({ id: 'bob', role: 'user', expiresAt: expect.any(Date) });
    expect(await authenticator.authenticate(token)).toMatchObject({ id: 'bob', role: 'user' });
    expect(fetches).toBe(1);
    // An HS256 token "signed" with the public key must not pass (algorithm confusion).
    expect(await authenticator.authenticate(await hs256({ sub: 'mallory', exp: now() + 60 }))).toBeNull();
  });
});

describe('AnyOfAuthenticators', () => {
  it('takes the first that recognises the credential', async () => {
    const any = new AnyOfAuthenticators([
      new StaticTokenAuthenticator([{ token: 'static-token-0123456789', principal: { id: 'admin', role: 'admin' } }]),
      new JwtAuthenticator({ secret: SECRET }),
    ]);
    expect(await any.authenticate('static-token-0123456789')).toEqual({ id: 'admin', role: 'admin' });
    const exp = now() + 60;
    expect(await any.authenticate(await hs256({ sub: 'carol', exp }))).toEqual({ id: 'carol', role: 'user', expiresAt: new Date(exp * 1000) });
    expect(await any.authenticate('nothing-either-knows')).toBeNull();
  });
});
