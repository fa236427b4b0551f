import { CliError, UsageError } from '../cli-error';
import { configFilePath, readSavedLogin } from './config-file';

type Env = Readonly<Record<string, string | undefined>>;

export interface Settings {
  /** Porthole's base URL, `http(s)://host[:port][/prefix]`, without a trailing slash. */
  readonly url: string;
  readonly token: string;
}

const NOT_LOGGED_IN = 'run `porthole login`, or set PORTHOLE_URL and PORTHOLE_TOKEN';

function fromEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Where Porthole is and the token to use: PORTHOLE_URL / PORTHOLE_TOKEN when set (each on
 * its own, so a script can override just the token), else what `porthole login` saved.
 */
export async function resolveSettings(env: Env): Promise<Settings> {
  const partial = await resolvePartial(env);
  if (partial.url === undefined) throw new CliError(`no Porthole URL: ${NOT_LOGGED_IN}`);
  if (partial.token === undefined) throw new CliError(`no token: ${NOT_LOGGED_IN}`);
  return { url: normalizeServerUrl(partial.url), token: partial.token };
}

/** The token alone, for a tunnel given by its full URL. */
export async function resolveToken(env: Env): Promise<string> {
  const { token } = await resolvePartial(env);
  if (token === undefined) throw new CliError(`no token: ${NOT_LOGGED_IN}`);
  return token;
}

async function resolvePartial(env: Env): Promise<{ url?: string; token?: string }> {
  const url = fromEnv(env, 'PORTHOLE_URL');
  const token = fromEnv(env, 'PORTHOLE_TOKEN');
  if (url !== undefined && token !== undefined) return { url, token };
  const saved = await readSavedLogin(configFilePath(env));
  return { url: url ?? saved?.url, token: token ?? saved?.token };
}

/** Checks and tidies a server URL: http or https, no query, no trailing slash. */
export function normalizeServerUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`"${raw}" is not a URL; give Porthole's address, e.g. http://127.0.0.1:8080`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`"${raw}" must start with http:// or https://`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError(`"${raw}" must be Porthole's base URL, without query, fragment or credentials`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** The WebSocket tunnel URL of a forward on the server at `url` (ws:// for http://). */
export function tunnelUrlFor(url: string, forwardId: string): string {
  const base = url.replace(/^http/, 'ws');
  return `${base}/ws/port-forward/${encodeURIComponent(forwardId)}`;
}
