/** Limits of the delivery layer (DESIGN.md §1); each is configurable by the server. */
export interface HttpLimits {
  /** Largest proxied request or response body, in bytes (100 MB). */
  readonly proxyMaxBytes: number;
  /**
   * A proxied HTTP exchange in which no byte has moved either way for this long is ended
   * (5 min); 0 = never. Streams with shorter gaps (server-sent events) live on.
   */
  readonly proxyIdleTimeoutMs: number;
  /** Largest REST request body, in bytes. Create requests are tiny. */
  readonly apiMaxBytes: number;
  /**
   * Bytes per second per tunnel and direction; 0 = unlimited (10 MB/s). Enforced by
   * pausing the sender (a token bucket with a 0.2 s burst), never by dropping bytes.
   * Host-port connections get the same (HostPortOptions.limits).
   */
  readonly tunnelBytesPerSecond: number;
  /**
   * A tunnel with no data either way and no client ping for this long is closed with
   * 4000 "idle timeout" and its container socket ended (5 min). Host ports: both FIN.
   */
  readonly tunnelIdleTimeoutMs: number;
  /** How often the server pings tunnel clients; two missed pongs end the tunnel. */
  readonly tunnelPingIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  proxyMaxBytes: 100 * 1024 * 1024,
  proxyIdleTimeoutMs: 5 * 60 * 1000,
  apiMaxBytes: 64 * 1024,
  tunnelBytesPerSecond: 10 * 1024 * 1024,
  tunnelIdleTimeoutMs: 5 * 60 * 1000,
  tunnelPingIntervalMs: 30 * 1000,
};
