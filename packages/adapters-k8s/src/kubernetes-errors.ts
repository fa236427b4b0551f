import { RuntimeFailure } from '@porthole/core';

/** What a failed API-server call means for the runtime port. */
export type ApiOutcome = { readonly kind: 'not_found' } | { readonly kind: 'failure'; readonly failure: RuntimeFailure };

function statusOf(error: unknown): number | undefined {
  // ApiException (REST) carries `code`; the Watch's done(err) carries `statusCode`.
  const candidate = error as { code?: unknown; statusCode?: unknown } | null;
  if (typeof candidate?.code === 'number') return candidate.code;
  if (typeof candidate?.statusCode === 'number') return candidate.statusCode;
  return undefined;
}

/** The `message` of a Kubernetes Status body, when the error carries one. */
function statusMessage(error: unknown): string | undefined {
  const body = (error as { body?: unknown } | null)?.body;
  if (typeof body !== 'string') return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

export function describeApiError(error: unknown): string {
  return statusMessage(error) ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Reduces an API-server failure to the port's reasons: not found is "no such pod";
 * forbidden (RBAC) and everything else make the runtime unavailable, with a message that
 * names what was refused so that an operator can fix the Role.
 */
export function classifyApiError(error: unknown, doing: string, permission: string): ApiOutcome {
  const status = statusOf(error);
  if (status === 404) return { kind: 'not_found' };
  if (status === 403) {
    return {
      kind: 'failure',
      failure: new RuntimeFailure(
        'unavailable',
        `the Kubernetes API refused ${doing}: Porthole needs the RBAC permission "${permission}" (${describeApiError(error)})`,
        { cause: error },
      ),
    };
  }
  const what = status === undefined ? 'cannot be reached' : `answered ${status}`;
  return {
    kind: 'failure',
    failure: new RuntimeFailure('unavailable', `the Kubernetes API ${what} while ${doing}: ${describeApiError(error)}`, { cause: error }),
  };
}
