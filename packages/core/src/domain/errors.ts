/**
 * The closed set of things that can go wrong in the domain. Every code is stable: programs
 * match on it. Delivery adapters map each code to a status once (see http-api's status
 * table); nothing in here knows about HTTP.
 */
export const DOMAIN_ERROR_CODES = [
  'invalid_port',
  'invalid_request',
  'port_already_forwarded',
  'container_not_found',
  'forward_not_found',
  'container_not_running',
  'local_port_unavailable',
  'limit_exceeded',
  'plan_required',
  'domain_taken',
  'upstream_unreachable',
  'runtime_unavailable',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

/** One problem with one input field, for validation errors. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    readonly details: readonly FieldIssue[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isDomainError(value: unknown): value is DomainError {
  return value instanceof DomainError;
}

/** Constructors with the one wording each error has everywhere. */
export const DomainErrors = {
  invalidPort: (field: string, message: string) =>
    new DomainError('invalid_port', message, [{ field, message }]),
  invalidRequest: (message: string, details: readonly FieldIssue[] = []) =>
    new DomainError('invalid_request', message, details),
  invalidName: (message: string) =>
    new DomainError('invalid_request', message, [{ field: 'name', message }]),
  portAlreadyForwarded: (port: number) =>
    new DomainError('port_already_forwarded', `Port ${port} is already forwarded for this container.`),
  containerNotFound: (ref: string) =>
    new DomainError('container_not_found', `No container named "${ref}" was found.`),
  forwardNotFound: (id: string) => new DomainError('forward_not_found', `No port forward "${id}" was found.`),
  containerNotRunning: (ref: string, state: string) =>
    new DomainError(
      'container_not_running',
      `Container "${ref}" is ${state}; ports can only be forwarded from a running container.`,
    ),
  containerPaused: (ref: string) =>
    new DomainError('container_not_running', `Container "${ref}" is paused; unpause it to reach its ports.`),
  localPortUnavailable: (message: string) => new DomainError('local_port_unavailable', message),
  invalidCustomDomain: (message: string) =>
    new DomainError('invalid_request', message, [{ field: 'custom_domain', message }]),
  /** A feature the caller's plan does not include; `plans` are the ones that do. */
  planRequired: (feature: string, plan: string, plans: readonly string[]) =>
    new DomainError(
      'plan_required',
      `${feature} need ${plans.length === 0 ? 'a plan that no one has here' : `the ${plans.join(' or ')} plan`}; yours is ${plan}.`,
    ),
  domainTaken: (domain: string) =>
    new DomainError('domain_taken', `The domain ${domain} is already used by another port forward.`),
  limitExceeded: (max: number) =>
    new DomainError(
      'limit_exceeded',
      `This container already has the maximum of ${max} port ${max === 1 ? 'forward' : 'forwards'}; delete one first.`,
    ),
  upstreamUnreachable: (port: number, cause?: unknown) =>
    new DomainError(
      'upstream_unreachable',
      `Nothing accepts connections on port ${port} of the container.`,
      [],
      { cause },
    ),
  /** The app accepted the connection, then closed or reset it without an answer. */
  upstreamClosed: (port: number, cause?: unknown) =>
    new DomainError(
      'upstream_unreachable',
      `The app on port ${port} of the container closed the connection without answering.`,
      [],
      { cause },
    ),
  /** Not ready yet: start-up is still checking stored forwards with the runtime (`/readyz`). */
  startingUp: () =>
    new DomainError(
      'runtime_unavailable',
      'Porthole is starting: it is checking its stored forwards with the container runtime; try again shortly.',
    ),
  /**
   * The runtime adapter's own account (a RuntimeFailure's message) is passed on: it says
   * what an operator must fix, such as the permission a Kubernetes Role lacks.
   */
  runtimeUnavailable: (cause?: unknown) =>
    new DomainError(
      'runtime_unavailable',
      cause instanceof Error && cause.name === 'RuntimeFailure'
        ? `The container runtime cannot be used right now: ${cause.message}.`
        : 'The container runtime cannot be reached right now; try again shortly.',
      [],
      { cause },
    ),
};
