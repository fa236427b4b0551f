import type { Readable, Writable } from 'node:stream';

/** How long tunnels wait between pings, and other knobs tests turn down. */
export interface TunnelSettings {
  /** Ping the server this often; two unanswered pings end the tunnel. 0 disables pings. */
  readonly pingIntervalMs: number;
  /** How long a clean close may take before the tunnel is cut. */
  readonly closeTimeoutMs: number;
}

export const DEFAULT_TUNNEL_SETTINGS: TunnelSettings = {
  // Well inside the server's 5-minute idle timeout, and in step with its own 30 s pings.
  pingIntervalMs: 30_000,
  closeTimeoutMs: 2_000,
};

/**
 * Everything a command touches of the process, passed in so tests can run the CLI in
 * their own process with streams of their own (main.ts passes the real ones).
 */
export interface CliContext {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C or SIGTERM: long-running commands stop cleanly and return. */
  readonly signal: AbortSignal;
  readonly tunnel?: Partial<TunnelSettings>;
}

export function tunnelSettings(context: CliContext): TunnelSettings {
  return { ...DEFAULT_TUNNEL_SETTINGS, ...context.tunnel };
}
