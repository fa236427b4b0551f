/**
 * Porthole in this process, wired exactly as `main` wires it (config → startPorthole),
 * over the real Docker engine of DOCKER_HOST, on 127.0.0.1:0. For end-to-end tests that
 * need to reach inside (a runtime through a relay); process-level behaviour is in
 * server-process.ts.
 */
import { parseConfig, type LogLevel } from '../../apps/server/src/config';
import { createLogger } from '../../apps/server/src/logger';
import { startPorthole, type RunningPorthole, type StartOptions } from '../../apps/server/src/porthole-server';

export const E2E_TOKEN = 'e2e-admin-token-0123456789abcdef';

export interface TestPorthole extends RunningPorthole {
  /** Calls the REST API with the admin token (or the one given; null for none). */
  api(method: string, path: string, body?: unknown, token?: string | null): Promise<ApiResponse>;
}

export interface ApiResponse {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

export async function startTestPorthole(
  env: Record<string, string> = {},
  options: Partial<StartOptions> = {},
): Promise<TestPorthole> {
  // Forwards in memory unless a test gives PORTHOLE_DATA_DIR: no ./data left in the checkout.
  const fullEnv = { ...process.env, PORTHOLE_PORT: '0', PORTHOLE_ADMIN_TOKEN: E2E_TOKEN, PORTHOLE_DATA_DIR: ':memory:', ...env };
  const config = parseConfig(fullEnv);
  const logger = createLogger((process.env['PORTHOLE_TEST_LOG_LEVEL'] ?? 'silent') as LogLevel);
  const running = await startPorthole(config, { logger, env: fullEnv, ...options });
  const api = async (method: string, path: string, body?: unknown, token: string | null = E2E_TOKEN) => {
    const headers: Record<string, string> = {};
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${running.url}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  return Object.assign(running, { api });
}
