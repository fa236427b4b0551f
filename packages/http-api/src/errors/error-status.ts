import type { DomainErrorCode } from '@porthole/core';

/** Codes that only delivery produces; the domain's own codes come from core. */
export type DeliveryErrorCode =
  | 'unauthenticated'
  | 'origin_not_allowed'
  | 'payload_too_large'
  | 'route_not_found'
  | 'headers_too_large'
  | 'request_timeout'
  | 'method_not_supported'
  | 'internal_error'
  | 'bad_upstream_response'
  | 'upstream_response_too_large'
  | 'upstream_timeout';

export type ErrorCode = DomainErrorCode | DeliveryErrorCode;

/**
 * The one status table (DESIGN.md §1). Typed as a Record over every code, so adding a
 * code without deciding its status does not compile.
 */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  invalid_port: 400,
  invalid_request: 400,
  unauthenticated: 401,
  port_already_forwarded: 403,
  origin_not_allowed: 403,
  plan_required: 403,
  container_not_found: 404,
  forward_not_found: 404,
  route_not_found: 404,
  method_not_supported: 405,
  request_timeout: 408,
  container_not_running: 409,
  local_port_unavailable: 409,
  domain_taken: 409,
  payload_too_large: 413,
  limit_exceeded: 429,
  headers_too_large: 431,
  internal_error: 500,
  upstream_unreachable: 502,
  bad_upstream_response: 502,
  upstream_response_too_large: 502,
  runtime_unavailable: 503,
  upstream_timeout: 504,
};
