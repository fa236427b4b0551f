import { Router } from 'express';
import { DomainErrors, isDomainError } from '@porthole/core';
import { toErrorResponse } from '../errors/error-body';

/**
 * Probes for orchestrators, without credentials: `/healthz` says the process serves
 * requests; `/readyz` also asks the container runtime.
 */
export function healthRouter(readiness: () => Promise<void>): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.set('cache-control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await readiness();
      res.set('cache-control', 'no-store').json({ status: 'ready' });
    } catch (cause) {
      const { status, body } = toErrorResponse(isDomainError(cause) ? cause : DomainErrors.runtimeUnavailable(cause));
      res.status(status).set('cache-control', 'no-store').json(body);
    }
  });
  return router;
}
