import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { isPlan, type Principal } from '@porthole/core';
import type { Authenticator } from './authenticator';

/**
 * For platforms that sign their users in themselves: a JWT they issue is a Porthole
 * credential. HS256 with a shared secret, or RS256/ES256 against the platform's JWKS.
 * `exp` is required; it and `nbf` are checked (5 s of clock skew allowed), and `iss` and
 * `aud` when configured. Claims: `sub` is the user id (required), `role` is `admin` or
 * `user` (default `user`), `plan` is `free`, `pro` or `enterprise` (optional: without it
 * the principal has none, and core's `planOf` gives the role's default). A token with an
 * unknown role or plan is refused, not downgraded: the platform that signed it meant
 * something Porthole does not know.
 */
export type JwtOptions =
  | { readonly secret: string; readonly issuer?: string; readonly audience?: string }
  | { readonly jwksUrl: string; readonly issuer?: string; readonly audience?: string };

const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._@:|-]{0,127}$/;

export class JwtAuthenticator implements Authenticator {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly options: JwtOptions) {
    if ('secret' in options) {
      this.key = new TextEncoder().encode(options.secret);
      this.algorithms = ['HS256'];
    } else {
      // Keys are fetched on first use and cached; an unknown `kid` refetches (rotation),
      // at most once every 30 s (jose's default cooldownDuration).
      this.key = createRemoteJWKSet(new URL(options.jwksUrl));
      this.algorithms = ['RS256', 'ES256'];
    }
  }

  async authenticate(credential: string): Promise<Principal | null> {
    // Not a JWT at all (a static token): no verification, no JWKS fetch.
    if (credential.split('.').length !== 3) return null;
    try {
      const { payload } = await jwtVerify(credential, this.key as Uint8Array, {
        algorithms: this.algorithms,
        clockTolerance: 5,
        // A token without `exp` would be a credential forever: refused, not taken as endless.
        requiredClaims: ['exp'],
        ...(this.options.issuer !== undefined ? { issuer: this.options.issuer } : {}),
        ...(this.options.audience !== undefined ? { audience: this.options.audience } : {}),
      });
      const { sub, role, plan } = payload as { sub?: unknown; role?: unknown; plan?: unknown };
      if (typeof sub !== 'string' || !USER_ID.test(sub)) return null;
      if (role !== undefined && role !== 'admin' && role !== 'user') return null;
      if (plan !== undefined && !isPlan(plan)) return null;
      // jose has checked that exp is there and a number. Sessions and links made with this
      // token end when it does, so it must be a date: one past the last a Date holds
      // (year 275760) would make every expiry sum NaN, a session without end.
      const expiresAt = new Date((payload.exp as number) * 1000);
      if (Number.isNaN(expiresAt.getTime())) return null;
      const principal: Principal = { id: sub, role: role === 'admin' ? 'admin' : 'user', expiresAt };
      return plan === undefined ? principal : { ...principal, plan };
    } catch {
      return null;
    }
  }
}

/** The first authenticator that recognises the credential wins. */
export class AnyOfAuthenticators implements Authenticator {
  constructor(private readonly authenticators: readonly Authenticator[]) {}

  async authenticate(credential: string): Promise<Principal | null> {
    for (const authenticator of this.authenticators) {
      const principal = await authenticator.authenticate(credential);
      if (principal !== null) return principal;
    }
    return null;
  }
}
