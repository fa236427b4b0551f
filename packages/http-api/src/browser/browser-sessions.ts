import { randomBytes } from 'node:crypto';
import type { Principal } from '@porthole/core';

export interface BrowserSessionOptions {
  /** How long a session cookie is honoured (default 24 h). */
  readonly sessionTtlMs: number;
  /** How long an issued link can be opened (default 5 minutes); it works once. */
  readonly linkTtlMs: number;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
  /**
   * Most sessions and links held at once; past it the oldest go first. A bound, so that a
   * caller minting sessions in a loop cannot grow the process without end.
   */
  readonly maxEntries?: number;
}

interface Grant {
  readonly forwardId: string;
  readonly principal: Principal;
  readonly expiresAt: number;
}

export interface IssuedLink {
  readonly token: string;
  readonly expiresAt: Date;
}

/** 256 bits from the CSPRNG, URL- and cookie-safe. */
function secret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Browser sessions and one-time links, each bound to one forward and to the principal
 * who obtained it. Held in memory: a restart signs browsers out (they open the link or the
 * token URL again), and a removed forward takes its sessions with it.
 */
export class BrowserSessions {
  private readonly sessions = new Map<string, Grant>();
  private readonly links = new Map<string, Grant>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: BrowserSessionOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  /**
   * How long a session opened now for this principal lasts: the configured lifetime, cut
   * short by the expiry of the credential it came from (a short-lived JWT must not turn
   * into a day of access through a cookie).
   */
  sessionTtlFor(principal: Principal): number {
    return Math.max(0, Math.min(this.options.sessionTtlMs, this.untilExpiry(principal)));
  }

  /** A new session for `forwardId`; the value goes into the cookie. */
  open(forwardId: string, principal: Principal): string {
    const value = secret();
    this.put(this.sessions, value, { forwardId, principal, expiresAt: this.now() + this.sessionTtlFor(principal) });
    return value;
  }

  /**
   * Who holds a session cookie for `forwardId`, if any of the presented values is a live
   * session of that very forward. A session of another forward counts for nothing.
   */
  principalFor(forwardId: string, cookieValues: readonly string[]): Principal | undefined {
    for (const value of cookieValues) {
      const grant = this.live(this.sessions, value);
      if (grant?.forwardId === forwardId) return grant.principal;
    }
    return undefined;
  }

  issueLink(forwardId: string, principal: Principal): IssuedLink {
    const token = secret();
    const expiresAt = this.now() + Math.max(0, Math.min(this.options.linkTtlMs, this.untilExpiry(principal)));
    this.put(this.links, token, { forwardId, principal, expiresAt });
    return { token, expiresAt: new Date(expiresAt) };
  }

  /** Uses up a link: it answers once, and only for the forward it was issued for. */
  redeemLink(forwardId: string, token: string): Principal | undefined {
    const grant = this.live(this.links, token);
    if (grant?.forwardId !== forwardId) return undefined;
    this.links.delete(token);
    return grant.principal;
  }

  /** The forward is gone: so are its sessions and links. */
  forgetForward(forwardId: string): void {
    for (const store of [this.sessions, this.links]) {
      for (const [key, grant] of store) if (grant.forwardId === forwardId) store.delete(key);
    }
  }

  get size(): { sessions: number; links: number } {
    return { sessions: this.sessions.size, links: this.links.size };
  }

  private untilExpiry(principal: Principal): number {
    if (principal.expiresAt === undefined) return Number.POSITIVE_INFINITY;
    const left = principal.expiresAt.getTime() - this.now();
    // An expiry that is no date (an Invalid Date) grants nothing rather than NaN, which
    // every comparison would let through.
    return Number.isNaN(left) ? 0 : left;
  }

  private live(store: Map<string, Grant>, key: string): Grant | undefined {
    const grant = store.get(key);
    if (grant === undefined) return undefined;
    if (grant.expiresAt <= this.now()) {
      store.delete(key);
      return undefined;
    }
    return grant;
  }

  private put(store: Map<string, Grant>, key: string, grant: Grant): void {
    if (store.size >= this.maxEntries) this.sweep(store);
    // Maps iterate in insertion order, so the first key is the oldest grant.
    while (store.size >= this.maxEntries) {
      const oldest = store.keys().next().value;
      if (oldest === undefined) break;
      store.delete(oldest);
    }
    store.set(key, grant);
  }

  private sweep(store: Map<string, Grant>): void {
    const now = this.now();
    for (const [key, grant] of store) if (grant.expiresAt <= now) store.delete(key);
  }
}
