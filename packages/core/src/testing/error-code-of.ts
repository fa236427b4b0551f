import type { DomainErrorCode } from '../domain/errors';

/** The domain error code a promise rejects with, or 'none' when it resolves: for rule tables. */
export async function errorCodeOf(promise: Promise<unknown>): Promise<DomainErrorCode | 'none'> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    return (error as { code: DomainErrorCode }).code;
  }
}
