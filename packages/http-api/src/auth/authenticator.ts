import type { Principal } from '@porthole/core';

/**
 * Turns a presented credential into a principal. The static admin token is the first
 * implementation; tokens files and JWTs slot in behind the same interface.
 */
export interface Authenticator {
  /** Resolves null for an unknown or invalid credential; never rejects for bad input. */
  authenticate(credential: string): Promise<Principal | null>;
}
