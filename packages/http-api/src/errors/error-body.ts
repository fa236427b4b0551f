import { isDomainError, type FieldIssue } from '@porthole/core';
import { STATUS_BY_CODE, type ErrorCode } from './error-status';
import { HttpError } from './http-error';

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details?: readonly FieldIssue[];
  };
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  /** True for errors we did not expect: log the cause, never show it. */
  readonly unexpected: boolean;
}

/**
 * Turns anything thrown into the one error shape. Domain and delivery errors keep their
 * code and message; anything else is a 500 with a generic message.
 */
export function toErrorResponse(error: unknown): ErrorResponse {
  if (isDomainError(error) || error instanceof HttpError) {
    const body: ErrorBody = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details.length > 0 ? { details: error.details } : {}),
      },
    };
    return { status: STATUS_BY_CODE[error.code], body, unexpected: false };
  }
  return {
    status: STATUS_BY_CODE.internal_error,
    body: { error: { code: 'internal_error', message: 'Something went wrong inside Porthole; the error has been logged.' } },
    unexpected: true,
  };
}
