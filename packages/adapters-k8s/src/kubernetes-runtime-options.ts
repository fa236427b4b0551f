import type { DialMode } from './pod-dialer';

/** One log entry of the adapter; `msg` is a sentence, the other fields are context. */
export interface KubernetesRuntimeLogEntry {
  readonly msg: string;
  readonly level: 'debug' | 'info' | 'warn';
  readonly retryInMs?: number;
  readonly error?: unknown;
}

export interface KubernetesRuntimeOptions {
  /** The namespace whose pods are containers. */
  readonly namespace: string;
  /** How ports are dialed (see DialMode). */
  readonly dialMode: DialMode;
  /** How long a direct dial waits for the pod port to accept, in ms (default 3000). */
  readonly connectTimeoutMs?: number;
  /** How long one API request (read, list) may take, in ms (default 5000). */
  readonly requestTimeoutMs?: number;
  /** First delay before re-watching after the watch ended, in ms (default 100); doubles per failure. */
  readonly reconnectMinMs?: number;
  /** Longest delay between attempts to re-watch, in ms (default 5000). */
  readonly reconnectMaxMs?: number;
  /** apiserver dials: how long to wait for the error channel before a port counts as open (default 150). */
  readonly portForwardSettleMs?: number;
  readonly log?: (entry: KubernetesRuntimeLogEntry) => void;
}

export type ResolvedKubernetesRuntimeOptions = Required<KubernetesRuntimeOptions>;

const DEFAULTS = {
  connectTimeoutMs: 3000,
  requestTimeoutMs: 5000,
  reconnectMinMs: 100,
  reconnectMaxMs: 5000,
  portForwardSettleMs: 150,
  log: () => undefined,
};

export function resolveKubernetesOptions(options: KubernetesRuntimeOptions): ResolvedKubernetesRuntimeOptions {
  const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const resolved = { ...DEFAULTS, ...given } as unknown as ResolvedKubernetesRuntimeOptions;
  for (const key of ['connectTimeoutMs', 'requestTimeoutMs', 'reconnectMinMs', 'reconnectMaxMs', 'portForwardSettleMs'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] <= 0) {
      throw new RangeError(`KubernetesContainerRuntime option ${key} must be a positive number of ms, got ${resolved[key]}`);
    }
  }
  if (resolved.reconnectMaxMs < resolved.reconnectMinMs) {
    throw new RangeError('KubernetesContainerRuntime option reconnectMaxMs must not be below reconnectMinMs');
  }
  if (resolved.namespace === '') throw new RangeError('KubernetesContainerRuntime needs a namespace');
  return resolved;
}
