/** One log entry of the adapter; `msg` is a sentence, the other fields are context. */
export interface DockerRuntimeLogEntry {
  readonly msg: string;
  /** `info` for normal connection changes, `warn` for trouble the adapter works around. */
  readonly level: 'debug' | 'info' | 'warn';
  readonly containerId?: string;
  /** How long until the next attempt to reconnect the event stream. */
  readonly retryInMs?: number;
  readonly error?: unknown;
}

export type DockerRuntimeLog = (entry: DockerRuntimeLogEntry) => void;

export interface DockerRuntimeOptions {
  /**
   * How long `dial` waits for a container port to accept, in ms (default 3000). A dead
   * container's address fails slowly (EHOSTUNREACH / ETIMEDOUT after minutes), and the
   * proxy should answer 502 long before that.
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long one engine request (inspect, ping, opening the event stream) may take, in
   * ms (default 5000); past it the engine counts as unavailable.
   */
  readonly requestTimeoutMs?: number;
  /**
   * First delay before reopening a broken event stream, in ms (default 100). It doubles
   * per failure, and starts over only once a stream proved healthy (see DockerEventWatch).
   */
  readonly reconnectMinMs?: number;
  /** Longest delay between attempts to reopen the event stream, in ms (default 5000). */
  readonly reconnectMaxMs?: number;
  /**
   * Where containers on the host network listen, as seen from Porthole (default
   * 127.0.0.1: Porthole on the engine's host, or itself on the host network). For a
   * remote engine pass hostNetworkAddressFor(DOCKER_HOST), its host.
   */
  readonly hostNetworkAddress?: string;
  /** Receives what the adapter has to say (event stream lost, reconnected, ...). */
  readonly log?: DockerRuntimeLog;
}

export type ResolvedDockerRuntimeOptions = Required<DockerRuntimeOptions>;

export const DEFAULT_DOCKER_RUNTIME_OPTIONS: ResolvedDockerRuntimeOptions = {
  connectTimeoutMs: 3000,
  requestTimeoutMs: 5000,
  reconnectMinMs: 100,
  reconnectMaxMs: 5000,
  hostNetworkAddress: '127.0.0.1',
  log: () => undefined,
};

export function resolveOptions(options: DockerRuntimeOptions): ResolvedDockerRuntimeOptions {
  const resolved = { ...DEFAULT_DOCKER_RUNTIME_OPTIONS };
  // Skip explicit undefined so `{ log: undefined }` keeps the default.
  for (const [key, value] of Object.entries(options) as [keyof DockerRuntimeOptions, unknown][]) {
    if (value !== undefined) Object.assign(resolved, { [key]: value });
  }
  for (const key of ['connectTimeoutMs', 'requestTimeoutMs', 'reconnectMinMs', 'reconnectMaxMs'] as const) {
    if (!Number.isFinite(resolved[key]) || resolved[key] <= 0) {
      throw new RangeError(`DockerContainerRuntime option ${key} must be a positive number of ms, got ${resolved[key]}`);
    }
  }
  if (resolved.reconnectMaxMs < resolved.reconnectMinMs) {
    throw new RangeError('DockerContainerRuntime option reconnectMaxMs must not be below reconnectMinMs');
  }
  return resolved;
}
