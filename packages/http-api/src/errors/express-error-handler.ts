import type { ErrorRequestHandler } from 'express';
import { DomainErrors, isDomainError } from '@porthole/core';
import type { Logger } from '../logger';
import { closeIfBodyUnread } from '../request-body';
import { requestIdOf } from '../request-id';
import { HttpError, HttpErrors } from './http-error';
import { sendError } from './send-error';

/** A 4xx that Express or body-parser raised about the request itself (not one of ours). */
function clientErrorStatus(error: unknown): number | undefined {
  if (error === null || typeof error !== 'object' || isDomainError(error) || error instanceof HttpError) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  return typeof code === 'number' && code >= 400 && code < 500 ? code : undefined;
}

/**
 * body-parser's and the router's own errors, reduced to our codes; everything else keeps
 * its own. A client's mistake is never a 500 (nor an error-level log line).
 */
export function expressErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const type = (error as { type?: string } | null)?.type;
    let mapped = error;
    if (type === 'entity.parse.failed') {
      mapped = DomainErrors.invalidRequest('The request body is not valid JSON.');
    } else if (type === 'entity.too.large') {
      mapped = HttpErrors.payloadTooLarge((error as { limit: number }).limit);
    } else if (error instanceof URIError) {
      mapped = DomainErrors.invalidRequest('The URL contains malformed percent-encoding.');
    } else if (clientErrorStatus(error) === 415 || type === 'encoding.unsupported' || type === 'charset.unsupported') {
      mapped = DomainErrors.invalidRequest('The request body uses an encoding or charset that is not supported; send plain UTF-8 JSON.');
    } else if (clientErrorStatus(error) !== undefined) {
      mapped = DomainErrors.invalidRequest('The request body could not be read.');
    }
    closeIfBodyUnread(req, res);
    sendError(req, res, mapped, logger, { requestId: requestIdOf(req) });
  };
}
