import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '@porthole/core';
import type { Authenticator } from './authenticator';

/** SHA-256 of a token: how tokens are compared, and how a tokens file may hold them. */
export function tokenDigest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Fixed tokens, each for one principal. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`: equal lengths always, so neither content nor length leaks by timing.
 */
export class StaticTokenAuthenticator implements Authenticator {
  private readonly entries: readonly { digest: Buffer; principal: Principal }[];

  /** Each entry gives its token, or only the token's SHA-256 (a tokens file). */
  constructor(tokens: readonly ({ token: string; principal: Principal } | { digest: Buffer; principal: Principal })[]) {
    this.entries = tokens.map((entry) => ({ digest: 'token' in entry ? tokenDigest(entry.token) : entry.digest, principal: entry.principal }));
  }

  async authenticate(credential: string): Promise<Principal | null> {
    const presented = tokenDigest(credential);
    let found: Principal | null = null;
    // No early exit: every entry is compared, whichever matches.
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.principal;
    }
    return found;
  }
}
