/**
 * How Porthole closes a tunnel, and why. Clients (the CLI, browser code) match on the
 * code; the reason is for people. Codes 4000-4999 are ours to define (RFC 6455 §7.4.2).
 */
export const TunnelClose = {
  /** The container closed the connection (its socket ended). */
  upstreamClosed: { code: 1000, reason: 'upstream closed' },
  /** Porthole is shutting down; reconnecting later may work. */
  shuttingDown: { code: 1001, reason: 'server shutting down' },
  /** The connection to the container failed (reset, error). */
  upstreamError: { code: 1011, reason: 'upstream error' },
  /** No data either way and no client ping for `tunnelIdleTimeoutMs`. */
  idleTimeout: { code: 4000, reason: 'idle timeout' },
  /**
   * The forward was deleted or its container stopped: a normal end (1000, as the README
   * documents), told apart from `upstreamClosed` by the reason. Not 1001, which says
   * "server going away" and invites a reconnect that can never work for this forward.
   */
  forwardRemoved: { code: 1000, reason: 'port forward removed' },
} as const;

export type TunnelCloseKind = keyof typeof TunnelClose;
