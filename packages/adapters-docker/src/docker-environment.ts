import Dockerode from 'dockerode';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

type Environment = Readonly<Record<string, string | undefined>>;

/** Reads a TLS file; injectable so the option parsing is testable without files. */
export type ReadFile = (path: string) => Buffer;

/**
 * Dockerode options for the engine the docker CLI would talk to with this environment:
 * - `DOCKER_HOST` unset: the local socket (`/var/run/docker.sock`, the named pipe on
 *   Windows); `unix:///path`, `npipe:////./pipe/name`, `tcp://host[:port]` and
 *   `ssh://[user@]host[:port]` as the CLI reads them;
 * - `tcp://` uses port 2376 with TLS when `DOCKER_TLS_VERIFY` is set (non-empty, as the
 *   CLI checks it), 2375 without; TLS files come from `DOCKER_CERT_PATH` (default ~/.docker);
 * - `DOCKER_API_VERSION` pins the API version.
 * Docker contexts (`DOCKER_CONTEXT`, `docker context use`) are not read: set DOCKER_HOST.
 * Throws an Error naming DOCKER_HOST when its value cannot be used.
 */
export function dockerOptionsFromEnvironment(
  env: Environment = process.env,
  readFile: ReadFile = (path) => readFileSync(path),
): Dockerode.DockerOptions {
  const host = env['DOCKER_HOST'] ?? '';
  const version = env['DOCKER_API_VERSION'] ? { version: `v${env['DOCKER_API_VERSION'].replace(/^v/, '')}` } : {};
  // docker-modem merges its own reading of the environment under whatever it is given,
  // and a `host` it finds there wins over our `socketPath` (modem.js, Modem constructor).
  // Every key is therefore set explicitly, to undefined when unused.
  const local = { host: undefined, port: undefined, protocol: undefined, timeout: undefined, ...version };

  if (host === '') {
    return { ...local, socketPath: process.platform === 'win32' ? '//./pipe/docker_engine' : '/var/run/docker.sock' };
  }
  const scheme = /^([a-z]+):\/\//.exec(host)?.[1];
  switch (scheme) {
    case 'unix': {
      const path = host.slice('unix://'.length);
      if (path === '') throw badHost(host, 'a unix socket path is missing (unix:///path/to/docker.sock)');
      return { ...local, socketPath: path };
    }
    case 'npipe': {
      const path = host.slice('npipe://'.length);
      if (path === '') throw badHost(host, 'a named pipe is missing (npipe:////./pipe/docker_engine)');
      return { ...local, socketPath: path };
    }
    case 'tcp': {
      const url = parseUrl(host);
      const tls = (env['DOCKER_TLS_VERIFY'] ?? '') !== '';
      const certs = env['DOCKER_CERT_PATH'] || join(homedir(), '.docker');
      return {
        socketPath: undefined,
        ...version,
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? (tls ? 2376 : 2375) : Number(url.port),
        protocol: tls ? 'https' : 'http',
        ...(tls
          ? {
              ca: readFile(join(certs, 'ca.pem')),
              cert: readFile(join(certs, 'cert.pem')),
              key: readFile(join(certs, 'key.pem')),
            }
          : {}),
      };
    }
    case 'ssh': {
      const url = parseUrl(host);
      return {
        socketPath: undefined,
        ...version,
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? 22 : Number(url.port),
        protocol: 'ssh',
        ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
        ...(env['SSH_AUTH_SOCK'] ? { sshOptions: { agent: env['SSH_AUTH_SOCK'] } } : {}),
      };
    }
    default:
      throw badHost(host, 'use unix://, tcp://, ssh:// or npipe://');
  }
}

/**
 * A Dockerode client for the engine the docker CLI would use (see
 * dockerOptionsFromEnvironment). Pass nothing (or undefined) to read process.env, a
 * DOCKER_HOST value to use instead of the environment's, or a whole environment. Note that Porthole dials container
 * addresses itself, so a remote engine only works when its container networks are
 * routable from here.
 * @throws Error naming DOCKER_HOST when its value cannot be used.
 */
export function dockerFromEnvironment(hostOrEnv?: string | Environment): Dockerode {
  const env =
    typeof hostOrEnv === 'object' ? hostOrEnv
    : typeof hostOrEnv === 'string' ? { ...process.env, DOCKER_HOST: hostOrEnv }
    : process.env;
  return new Dockerode(dockerOptionsFromEnvironment(env));
}

/**
 * Where containers on the host network (`--network host`) listen, as seen from here, for
 * the engine a DOCKER_HOST value names: the engine's own host for `tcp://HOST[:port]` and
 * `ssh://[user@]HOST[:port]`, loopback for a local socket (`unix://`, `npipe://`, unset or
 * empty). Porthole dials those containers at this address, so with a remote engine it
 * must not be Porthole's own loopback.
 * @throws Error naming DOCKER_HOST when its value cannot be used (as dockerFromEnvironment).
 */
export function hostNetworkAddressFor(dockerHost: string | undefined): string {
  const host = dockerHost ?? '';
  if (host === '') return LOOPBACK;
  switch (/^([a-z]+):\/\//.exec(host)?.[1]) {
    case 'unix':
    case 'npipe':
      return LOOPBACK;
    case 'tcp':
    case 'ssh': {
      const hostname = parseUrl(host).hostname.replace(/^\[(.*)\]$/, '$1');
      if (hostname === '') throw badHost(host, 'the host name is missing');
      return hostname;
    }
    default:
      throw badHost(host, 'use unix://, tcp://, ssh:// or npipe://');
  }
}

const LOOPBACK = '127.0.0.1';

/**
 * True when a Docker engine answers through this client within the timeout; never
 * throws. For `PORTHOLE_RUNTIME=auto`: pick Docker when this says yes.
 */
export async function probeDocker(docker: Dockerode, timeoutMs = 2000): Promise<boolean> {
  try {
    await pingWithin(docker, timeoutMs);
    return true;
  } catch {
    return false;
  }
}

/** `GET /_ping`, given up after timeoutMs; rejects with the raw dockerode error. */
export async function pingWithin(docker: Dockerode, timeoutMs: number): Promise<void> {
  // dockerode 4 takes an abortSignal here; @types/dockerode does not know it yet.
  const ping = docker.ping.bind(docker) as unknown as (options: { abortSignal: AbortSignal }) => Promise<unknown>;
  await ping({ abortSignal: AbortSignal.timeout(timeoutMs) });
}

function parseUrl(host: string): URL {
  try {
    return new URL(host);
  } catch {
    throw badHost(host, 'it is not a valid URL');
  }
}

function badHost(host: string, why: string): Error {
  return new Error(`DOCKER_HOST=${host} cannot be used: ${why}`);
}
