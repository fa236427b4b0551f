import type { Principal } from '@porthole/core';
import { BrowserSessions } from './browser-sessions';

const alice: Principal = { id: 'alice', role: 'user' };

function sessions(options: { maxEntries?: number } = {}) {
  let now = 1_000_000;
  const store = new BrowserSessions({ sessionTtlMs: 60_000, linkTtlMs: 5_000, now: () => now, ...options });
  return { store, advance: (ms: number) => (now += ms) };
}

describe('BrowserSessions', () => {
  it('honours a session for its own forward only', () => {
    const { store } = sessions();
    const value = store.open('pf_a', alice);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(store.principalFor('pf_a', [value])).toEqual(alice);
    expect(store.principalFor('pf_b', [value])).toBeUndefined();
    expect(store.principalFor('pf_a', ['forged'])).toBeUndefined();
  });

  it('finds the right session among several cookies', () => {
    const { store } = sessions();
    const a = store.open('pf_a', alice);
    const b = store.open('pf_b', alice);
    expect(store.principalFor('pf_b', [a, b])).toEqual(alice);
  });

  it('expires sessions after their time', () => {
    const { store, advance } = sessions();
    const value = store.open('pf_a', alice);
    advance(59_999);
    expect(store.principalFor('pf_a', [value])).toEqual(alice);
    advance(1);
    expect(store.principalFor('pf_a', [value])).toBeUndefined();
    expect(store.size.sessions).toBe(0);
  });

  it.each<[string, number | undefined, number, number]>([
    ['a credential that does not expire: the configured lifetimes', undefined, 60_000, 5_000],
    ['a JWT valid for 10 more seconds: both end with it', 10_000, 10_000, 5_000],
    ['a JWT valid for 2 more seconds: the link too', 2_000, 2_000, 2_000],
    ['a JWT that has just expired: nothing', 0, 0, 0],
  ])('never outlives the credential it came from: %s', (_description, credentialLeftMs, sessionMs, linkMs) => {
    let now = 1_000_000;
    const store = new BrowserSessions({ sessionTtlMs: 60_000, linkTtlMs: 5_000, now: () => now });
    const principal: Principal = credentialLeftMs === undefined ? alice : { ...alice, expiresAt: new Date(now + credentialLeftMs) };
    expect(store.sessionTtlFor(principal)).toBe(sessionMs);
    const session = store.open('pf_a', principal);
    const link = store.issueLink('pf_a', principal);
    expect(link.expiresAt.getTime() - now).toBe(linkMs);
    now += Math.min(sessionMs, linkMs) - 1;
    if (sessionMs > 0 && linkMs > 0) expect(store.principalFor('pf_a', [session])).toEqual(principal);
    now += 1;
    expect(store.principalFor('pf_a', [session])).toEqual(sessionMs > linkMs ? principal : undefined);
    expect(store.redeemLink('pf_a', link.token)).toBeUndefined();
  });

  it('grants nothing to a principal whose expiry is no date (an Invalid Date from elsewhere)', () => {
    const { store } = sessions();
    const principal: Principal = { ...alice, expiresAt: new Date(Number.NaN) };
    expect(store.sessionTtlFor(principal)).toBe(0);
    const session = store.open('pf_a', principal);
    expect(store.principalFor('pf_a', [session])).toBeUndefined();
    expect(store.redeemLink('pf_a', store.issueLink('pf_a', principal).token)).toBeUndefined();
  });

  it('redeems a link once, for its forward, before it expires', () => {
    const { store, advance } = sessions();
    const link = store.issueLink('pf_a', alice);
    expect(link.expiresAt.getTime()).toBe(1_005_000);
    expect(store.redeemLink('pf_b', link.token)).toBeUndefined();
    expect(store.redeemLink('pf_a', link.token)).toEqual(alice);
    expect(store.redeemLink('pf_a', link.token)).toBeUndefined();
    const late = store.issueLink('pf_a', alice);
    advance(5_000);
    expect(store.redeemLink('pf_a', late.token)).toBeUndefined();
  });

  it('forgets every session and link of a removed forward', () => {
    const { store } = sessions();
    const a = store.open('pf_a', alice);
    const b = store.open('pf_b', alice);
    const link = store.issueLink('pf_a', alice);
    store.forgetForward('pf_a');
    expect(store.principalFor('pf_a', [a])).toBeUndefined();
    expect(store.redeemLink('pf_a', link.token)).toBeUndefined();
    expect(store.principalFor('pf_b', [b])).toEqual(alice);
  });

  it('holds at most maxEntries, dropping expired ones first, then the oldest', () => {
    const { store, advance } = sessions({ maxEntries: 3 });
    const old = store.open('pf_a', alice);
    advance(60_000); // `old` has expired
    const first = store.open('pf_a', alice);
    const second = store.open('pf_a', alice);
    const third = store.open('pf_a', alice);
    expect(store.size.sessions).toBe(3);
    expect(store.principalFor('pf_a', [old])).toBeUndefined();
    expect(store.principalFor('pf_a', [first])).toEqual(alice);
    store.open('pf_a', alice);
    expect(store.principalFor('pf_a', [first])).toBeUndefined();
    expect(store.principalFor('pf_a', [second, third])).toEqual(alice);
    expect(store.size.sessions).toBe(3);
  });
});
