import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { DomainErrors, type ForwardService, type Principal } from '@porthole/core';
import type { AuditSink } from '../audit/audit-log';
import { authenticateRequest } from '../auth/authenticate-request';
import type { Authenticator } from '../auth/authenticator';
import type { BrowserSessions } from '../browser/browser-sessions';
import { LINK_PARAM } from '../browser/credential-query';
import { expressErrorHandler } from '../errors/express-error-handler';
import { HttpErrors } from '../errors/http-error';
import type { HttpLimits } from '../limits';
import type { Logger } from '../logger';
import type { PublicUrls } from '../public-urls';
import { declaredBodyTooLarge } from '../request-body';
import { requestIdOf } from '../request-id';
import { parseCreateForward, parseUpdateForward } from './create-forward.dto';
import { toForwardJson } from './forward-view';

export interface ForwardsRouterDeps {
  readonly forwards: ForwardService;
  readonly authenticator: Authenticator;
  readonly urls: PublicUrls;
  readonly sessions: BrowserSessions;
  readonly logger: Logger;
  readonly limits: HttpLimits;
  readonly audit: AuditSink;
}

type Params = { containerId: string; forwardId?: string };

function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

/**
 * The REST API of DESIGN.md §1. Only an explicit bearer header is a credential here, never
 * a cookie, so a page served through the proxy cannot drive the API.
 */
export function forwardsRouter(deps: ForwardsRouterDeps): Router {
  const { forwards, urls } = deps;
  const router = Router();

  // Authenticate before reading any body: strangers do not get to make us parse JSON.
  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      res.locals.principal = (await authenticateRequest(req, deps.authenticator, { allowSubprotocol: false, audit: deps.audit })).principal;
      next();
    } catch (error) {
      next(error);
    }
  });
  // A declared body over the limit is refused from the headers: body-parser would wait for
  // the whole body before answering, which a client sending `Expect: 100-continue` never sends.
  router.use((req: Request, _res: Response, next: NextFunction) => {
    next(declaredBodyTooLarge(req, deps.limits.apiMaxBytes) ? HttpErrors.payloadTooLarge(deps.limits.apiMaxBytes) : undefined);
  });
  // strict: false lets "8080" or null parse, so they get the precise "must be a JSON
  // object" message below instead of a generic "not valid JSON".
  router.use(express.json({ limit: deps.limits.apiMaxBytes, strict: false, type: ['application/json', 'application/*+json'] }));

  const base = '/containers/:containerId/port-forwards';

  router.post(base, async (req: Request<Params>, res: Response) => {
    if (req.body === undefined) {
      throw DomainErrors.invalidRequest('Send the forward as JSON with Content-Type: application/json.');
    }
    const dto = await parseCreateForward(req.body);
    const forward = await forwards.createForward(principalOf(res), req.params.containerId, {
      containerPort: dto.container_port,
      ...(dto.local_port !== undefined ? { localPort: dto.local_port } : {}),
      ...(dto.name !== undefined ? { name: dto.name } : {}),
      ...(dto.custom_domain !== undefined ? { customDomain: dto.custom_domain } : {}),
    });
    res.status(201).location(`${req.baseUrl}${req.path}/${forward.id}`).json(toForwardJson(forward, urls));
  });

  router.get(base, async (req: Request<Params>, res: Response) => {
    const list = await forwards.listForwards(principalOf(res), req.params.containerId);
    res.json(list.map((forward) => toForwardJson(forward, urls)));
  });

  router.get(`${base}/:forwardId`, async (req: Request<Params>, res: Response) => {
    const forward = await forwards.getForward(principalOf(res), req.params.containerId, req.params.forwardId ?? '');
    res.json(toForwardJson(forward, urls));
  });

  router.patch(`${base}/:forwardId`, async (req: Request<Params>, res: Response) => {
    if (req.body === undefined) {
      throw DomainErrors.invalidRequest('Send the change as JSON with Content-Type: application/json.');
    }
    const change = parseUpdateForward(req.body);
    const forward = await forwards.updateForward(principalOf(res), req.params.containerId, req.params.forwardId ?? '', change);
    res.json(toForwardJson(forward, urls));
  });

  // A one-time link that opens the forward in a browser (README "Browsers"): the token
  // never has to go into an address bar, and the link is worth nothing once used.
  router.post(`${base}/:forwardId/links`, async (req: Request<Params>, res: Response) => {
    if (req.body !== undefined && (typeof req.body !== 'object' || req.body === null || Object.keys(req.body as object).length > 0)) {
      throw DomainErrors.invalidRequest('A link takes no fields: send no body, or {}.');
    }
    const principal = principalOf(res);
    const forward = await forwards.getForward(principal, req.params.containerId, req.params.forwardId ?? '');
    const link = deps.sessions.issueLink(forward.id, principal);
    deps.logger.info({ requestId: requestIdOf(req), principal: principal.id, forwardId: forward.id }, 'browser link issued');
    // With a custom domain, the same one-time link opens the forward there too: whichever
    // address the browser visits first uses it up.
    res.status(201).set('cache-control', 'no-store').json({
      url: `${urls.proxyUrl(forward.id)}?${LINK_PARAM}=${link.token}`,
      ...(forward.customDomain === null ? {} : { custom_domain_url: `${urls.customDomainUrl(forward.customDomain)}?${LINK_PARAM}=${link.token}` }),
      expires_at: link.expiresAt.toISOString(),
    });
  });

  router.delete(`${base}/:forwardId`, async (req: Request<Params>, res: Response) => {
    const forwardId = req.params.forwardId ?? '';
    await forwards.deleteForward(principalOf(res), req.params.containerId, forwardId);
    res.status(204).end();
  });

  router.use((req: Request, _res: Response, next: NextFunction) => next(HttpErrors.routeNotFound(req.method, req.originalUrl.split('?')[0] ?? '')));
  router.use(expressErrorHandler(deps.logger));
  return router;
}
