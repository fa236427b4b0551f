import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from '@porthole/core';
import type { Authenticator } from './authenticator';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Fixed tokens, each for one principal. Tokens are compared as SHA-256 digests with
 * `timingSafeEqual`: equal lengths always, so neither content nor length leaks by timing.
 */
export class StaticTokenAuthenticator implements Authenticator {
  private readonly entries: readonly { digest: Buffer; principal: Principal }[];

  constructor(tokens: readonly { token: string; principal: Principal }[]) {
    this.entries = tokens.map(({ token, principal }) => ({ digest: digest(token), principal }));
  }

  async authenticate(credential: string): Promise<Principal | null> {
    const presented = digest(credential);
    let found: Principal | null = null;
    // No early exit: every entry is compared, whichever matches.
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.principal;
    }
    return found;
  }
}
