import { UsageError } from '../cli-error';
import { resolveSettings, resolveToken, tunnelUrlFor } from '../config/settings';

/** Where a tunnel goes and the token that opens it. */
export interface TunnelTarget {
  readonly url: string;
  readonly token: string;
  /** What the user named: the forward id, or the URL. */
  readonly label: string;
}

/**
 * `porthole connect` takes a forward id (the URL is built from the saved or PORTHOLE_URL
 * server) or a forward's `websocket_url` as the API gave it (no server URL needed; the
 * token still is).
 */
export async function resolveTunnelTarget(target: string, env: Readonly<Record<string, string | undefined>>): Promise<TunnelTarget> {
  if (/^wss?:\/\//i.test(target)) {
    try {
      new URL(target);
    } catch {
      throw new UsageError(`"${target}" is not a valid WebSocket URL`);
    }
    return { url: target, token: await resolveToken(env), label: target };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    throw new UsageError(`"${target}" is neither a forward id nor a ws:// or wss:// tunnel URL (the forward's websocket_url)`);
  }
  if (target === '' || /[\s/?#]/.test(target)) throw new UsageError(`"${target}" is not a forward id`);
  const settings = await resolveSettings(env);
  return { url: tunnelUrlFor(settings.url, target), token: settings.token, label: target };
}
