/** Limits of the delivery layer (DESIGN.md §1); each is configurable by the server. */
export interface HttpLimits {
  /** Largest proxied request or response body, in bytes (100 MB). */
  readonly proxyMaxBytes: number;
  /** Largest REST request body, in bytes. Create requests are tiny. */
  readonly apiMaxBytes: number;
  /** Bytes per second per tunnel and direction; 0 = unlimited (10 MB/s). */
  readonly tunnelBytesPerSecond: number;
  /** A tunnel with no data and no client ping for this long is closed (5 min). */
  readonly tunnelIdleTimeoutMs: number;
  /** How often the server pings tunnel clients; two missed pongs end the tunnel. */
  readonly tunnelPingIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  proxyMaxBytes: 100 * 1024 * 1024,
  apiMaxBytes: 64 * 1024,
  tunnelBytesPerSecond: 10 * 1024 * 1024,
  tunnelIdleTimeoutMs: 5 * 60 * 1000,
  tunnelPingIntervalMs: 30 * 1000,
};
