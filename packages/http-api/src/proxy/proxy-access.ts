import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainErrors, isDomainError, type ForwardService, type PortForward, type Principal } from '@porthole/core';
import { rejectedCredentialEntry, type AuditSink } from '../audit/audit-log';
import type { Authenticator } from '../auth/authenticator';
import { bearerFromHeader } from '../auth/credentials';
import type { BrowserSessions } from '../browser/browser-sessions';
import type { CredentialQuery } from '../browser/credential-query';
import { sessionCookie, sessionCookieValues } from '../browser/session-cookie';
import { onThisHost } from './response-rewrite';
import { HttpErrors } from '../errors/http-error';

export interface ProxyAccessDeps {
  readonly forwards: ForwardService;
  readonly authenticator: Authenticator;
  readonly sessions: BrowserSessions;
  /** The public URL is https: session cookies are `Secure`. */
  readonly secure: boolean;
  readonly audit: AuditSink;
}

/** Who may use a forward through the proxy, and by which credential. */
export interface ProxyGrant {
  readonly forward: PortForward;
  /**
   * `header`: Porthole's bearer token, removed before the request goes on. `cookie`: a
   * browser session; an `Authorization` header that is not Porthole's then belongs to the
   * app and passes.
   */
  readonly via: 'header' | 'cookie';
}

/** Where the proxied request points: `/p/{id}` in path mode, '' on a preview host. */
export interface ProxyPlace {
  readonly forwardId: string;
  readonly prefix: string;
  /** The name the caller used for the forward when it is not the id (a custom domain). */
  readonly shownAs?: string;
}

/**
 * The proxy's credentials: an `Authorization: Bearer` header for programs, a session
 * cookie for browsers, and the exchange that turns a token or a one-time link in the URL
 * into that cookie.
 */
export class ProxyAccess {
  constructor(private readonly deps: ProxyAccessDeps) {}

  /**
   * A valid Porthole bearer header wins; otherwise a session of this very forward. A
   * forward the caller may not see is "not found", as everywhere.
   */
  async authorize(req: IncomingMessage, place: ProxyPlace): Promise<ProxyGrant> {
    const bearer = bearerFromHeader(req);
    if (bearer !== undefined) {
      const principal = await this.deps.authenticator.authenticate(bearer);
      if (principal !== null) return { forward: await this.resolve(principal, place), via: 'header' };
    }
    const principal = this.deps.sessions.principalFor(place.forwardId, sessionCookieValues(req.headers.cookie));
    if (principal !== undefined) return { forward: await this.resolve(principal, place), via: 'cookie' };
    // Only now is a bearer header that did not pass known to be a bad one of Porthole's:
    // beside a session it would have been the app's own.
    if (bearer !== undefined) this.deps.audit(rejectedCredentialEntry(req, place.forwardId));
    throw HttpErrors.noBrowserSession();
  }

  /**
   * `?porthole_token=` or `?porthole_link=` on a navigation: check it, open a session for
   * this forward, and send the browser to the same address without the credential (so it
   * is neither kept in the address bar and history nor sent on as a Referer).
   */
  async exchange(req: IncomingMessage, res: ServerResponse, place: ProxyPlace, query: CredentialQuery): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw DomainErrors.invalidRequest('A credential in the address is only taken on a GET navigation; send it with Authorization: Bearer instead.');
    }
    // A HEAD (link previews, `curl -I`) must not use a one-time link up: it gets the
    // redirect without a session, and the link still works for the real visit.
    if (req.method === 'HEAD' && query.link !== undefined && query.token === undefined) {
      res.writeHead(302, { location: this.target(place, query), 'cache-control': 'no-store', 'content-length': 0 });
      res.end();
      return;
    }
    const principal = await this.principalOf(place.forwardId, query);
    if (principal === undefined) {
      this.deps.audit(rejectedCredentialEntry(req, place.forwardId));
      throw query.link !== undefined ? HttpErrors.linkNotValid() : HttpErrors.noBrowserSession();
    }
    const forward = await this.resolve(principal, place);
    const value = this.deps.sessions.open(forward.id, principal);
    res.writeHead(302, {
      location: this.target(place, query),
      'set-cookie': sessionCookie(value, {
        path: `${place.prefix}/`,
        secure: this.deps.secure,
        maxAgeSeconds: Math.floor(this.deps.sessions.sessionTtlFor(principal) / 1000),
      }),
      'cache-control': 'no-store',
      // The address with the credential must not leak to whatever the page loads next.
      'referrer-policy': 'no-referrer',
      'content-length': 0,
    });
    res.end();
  }

  /**
   * The forward, if this caller may use it. A forward reached by a custom domain is "not
   * found" by that name: its id is not the caller's to learn.
   */
  private async resolve(principal: Principal, place: ProxyPlace): Promise<PortForward> {
    try {
      return await this.deps.forwards.resolveForward(principal, place.forwardId);
    } catch (error) {
      if (place.shownAs !== undefined && isDomainError(error) && error.code === 'forward_not_found') {
        throw DomainErrors.forwardNotFound(place.shownAs);
      }
      throw error;
    }
  }

  /** The same address without the credential, on this host. */
  private target(place: ProxyPlace, query: CredentialQuery): string {
    return place.prefix === '' ? onThisHost(query.url) : `${place.prefix}${query.url}`;
  }

  private async principalOf(forwardId: string, query: CredentialQuery): Promise<Principal | undefined> {
    if (query.link !== undefined) return this.deps.sessions.redeemLink(forwardId, query.link);
    if (query.token !== undefined) return (await this.deps.authenticator.authenticate(query.token)) ?? undefined;
    return undefined;
  }
}
