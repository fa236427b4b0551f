/**
 * Helpers for tests against a real Docker engine (`*.integration.test.ts`).
 *
 *   describeDocker('...', () => {
 *     let web: FixtureContainer;
 *     beforeAll(async () => { web = await startFixtureContainer({ labels: { 'porthole.owner': 'alice' } }); }, TIMEOUTS.engineHook);
 *     afterAll(() => removeTestContainers(), TIMEOUTS.engineHook);
 *     it('...', async () => { net.connect(web.tcpPort, web.address); ... });
 *   });
 *
 * Fixture containers run `porthole-test/node:local` with test/fixtures mounted at /app
 * (see test/fixtures/README.md): HTTP echo on httpPort (8080), plus WebSocket echo with
 * `websocket: true`, and TCP echo on tcpPort (9000). Every container is labelled
 * porthole.test=1 and porthole.test.pid=<this process>, so global-setup.js can sweep
 * leftovers of dead runs without touching runs still going on.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { dockerFromEnvironment } from '../../packages/adapters-docker/src/index';
import { TIMEOUTS, sleep } from './timeouts';

export type Docker = ReturnType<typeof dockerFromEnvironment>;
export type DockerContainer = ReturnType<Docker['getContainer']>;
type InspectInfo = Awaited<ReturnType<DockerContainer['inspect']>>;

export const TEST_IMAGE = 'porthole-test/node:local';
export const TEST_LABEL = 'porthole.test';
export const TEST_PID_LABEL = 'porthole.test.pid';
export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');
/** Where the fixtures find `ws`: Node's lookup from /app reaches /node_modules. */
const WS_MOUNT_POINT = '/node_modules/ws';

/** True when global-setup.js found an engine (and built the fixture image). */
export const dockerAvailable = process.env['PORTHOLE_DOCKER_AVAILABLE'] === '1';

/** `describe` when a Docker engine is available, else `describe.skip`. */
export const describeDocker: jest.Describe = dockerAvailable ? describe : describe.skip;

/** A dockerode client for the engine of DOCKER_HOST (what the docker CLI would use). */
export const dockerode: Docker = createClient();

function createClient(): Docker {
  try {
    return dockerFromEnvironment();
  } catch (error) {
    // An unusable DOCKER_HOST already made global-setup skip the suites; importing this
    // module must not fail the files that would be skipped anyway.
    if (dockerAvailable) throw error;
    return dockerFromEnvironment({});
  }
}

/** The unix socket of the engine in DOCKER_HOST (for relays); throws for a TCP engine. */
export function engineSocketPath(): string {
  const host = process.env['DOCKER_HOST'] ?? '';
  if (host === '') return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new Error(`DOCKER_HOST=${host} is not a unix socket`);
}

export interface FixtureOptions {
  /** Container name; default porthole-test-<random>. */
  readonly name?: string;
  /** Extra labels, e.g. `{ 'porthole.owner': 'alice' }`. */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * NetworkMode: default 'bridge'. With 'host' the fixture binds 127.0.0.1 and its ports
   * default to free host ports. With 'container:<id>' pass ports that do not collide
   * with that container's.
   */
  readonly network?: string;
  /** Replaces `node /app/serve-all.js`; then nothing is waited for unless waitForPorts says so. */
  readonly command?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** HTTP (and WebSocket) echo port inside the container; default 8080. */
  readonly httpPort?: number;
  /** TCP echo port inside the container; default 9000. */
  readonly tcpPort?: number;
  /** Mount the workspace's `ws` package so the fixture also answers WebSocket upgrades. */
  readonly websocket?: boolean;
  /** Ports that must accept connections before the container counts as started. */
  readonly waitForPorts?: readonly number[];
}

export interface FixtureContainer {
  /** The engine's full id. */
  readonly id: string;
  readonly name: string;
  /** Where its ports are reachable from this process (127.0.0.1 on the host network). */
  readonly address: string;
  readonly httpPort: number;
  readonly tcpPort: number;
  /** The dockerode handle, for anything the methods below do not cover. */
  readonly container: DockerContainer;
  inspect(): Promise<InspectInfo>;
  /** `docker stop` with a 5 s grace period (the fixtures exit on SIGTERM at once). */
  stop(): Promise<void>;
  /** `docker start` again, then waits for the ports; `address` is refreshed. */
  start(): Promise<void>;
  /** `docker kill -s SIGNAL` (default SIGKILL). */
  kill(signal?: string): Promise<void>;
  pause(): Promise<void>;
  unpause(): Promise<void>;
  /** `docker rm -f`; fine to call twice. */
  remove(): Promise<void>;
}

/** Containers this process created, for removeTestContainers. */
const created = new Set<string>();

/**
 * Runs a fixture container and resolves once its ports accept connections from here
 * (polled at the container's address). Fails with the container's log when they do not.
 */
export async function startFixtureContainer(options: FixtureOptions = {}): Promise<FixtureContainer> {
  const network = options.network ?? 'bridge';
  const onHost = network === 'host';
  const httpPort = options.httpPort ?? (onHost ? await freePort() : 8080);
  const tcpPort = options.tcpPort ?? (onHost ? await freePort() : 9000);
  const binds = [`${FIXTURES_DIR}:/app:ro`];
  if (options.websocket === true) binds.push(`${wsPackageDir()}:${WS_MOUNT_POINT}:ro`);
  const env = {
    HTTP_PORT: String(httpPort),
    TCP_PORT: String(tcpPort),
    // On the host network a fixture would otherwise listen on every host interface.
    HOST: onHost ? '127.0.0.1' : '0.0.0.0',
    ...options.env,
  };
  const container = await create({
    name: options.name ?? uniqueName(),
    Image: TEST_IMAGE,
    Cmd: [...(options.command ?? ['node', '/app/serve-all.js'])],
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...options.labels },
    HostConfig: { NetworkMode: network, Binds: binds },
  });
  const waitForPorts = options.waitForPorts ?? (options.command === undefined ? [httpPort, tcpPort] : []);
  const fixture = new Fixture(container, httpPort, tcpPort, waitForPorts);
  await fixture.start();
  return fixture;
}

/** A container that was created and never started (state `created`). */
export async function createdContainer(
  options: { readonly name?: string; readonly labels?: Readonly<Record<string, string>> } = {},
): Promise<{ readonly id: string; readonly name: string; readonly container: DockerContainer; remove(): Promise<void> }> {
  const name = options.name ?? uniqueName();
  const container = await create({ name, Image: TEST_IMAGE, Cmd: ['sleep', '3600'], Labels: { ...options.labels } });
  return { id: container.id, name, container, remove: () => removeContainer(container) };
}

/** Force-removes every container this process created (afterAll). */
export async function removeTestContainers(): Promise<void> {
  const ids = [...created];
  await Promise.all(ids.map((id) => removeContainer(dockerode.getContainer(id))));
}

/** A TCP port free on 127.0.0.1 right now (for host-network fixtures and test servers). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves when something accepts a TCP connection at host:port, else rejects after timeoutMs. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(host, port))) {
    if (Date.now() >= deadline) throw new Error(`nothing accepted connections on ${host}:${port} within ${timeoutMs} ms`);
    await sleep(50);
  }
}

class Fixture implements FixtureContainer {
  readonly id: string;
  private currentName = '';
  private currentAddress = '';

  constructor(
    readonly container: DockerContainer,
    readonly httpPort: number,
    readonly tcpPort: number,
    private readonly waitForPorts: readonly number[],
  ) {
    this.id = container.id;
  }

  get name(): string {
    return this.currentName;
  }

  get address(): string {
    return this.currentAddress;
  }

  inspect(): Promise<InspectInfo> {
    return this.container.inspect();
  }

  async start(): Promise<void> {
    await this.container.start();
    const info = await this.container.inspect();
    this.currentName = info.Name.replace(/^\//, '');
    this.currentAddress = await addressOf(info);
    const deadline = Date.now() + TIMEOUTS.containerReady;
    for (const port of this.waitForPorts) {
      try {
        await waitForPort(this.currentAddress, port, Math.max(0, deadline - Date.now()));
      } catch (error) {
        const state = await this.container.inspect().then((i) => i.State.Status, () => 'unknown');
        throw new Error(
          `fixture container ${this.currentName} (${state}) is not ready: ${(error as Error).message}\n` +
            `its log:\n${await this.logs()}`,
        );
      }
    }
  }

  async stop(): Promise<void> {
    await ignoreStatus(this.container.stop({ t: 5 }), 304);
  }

  async kill(signal = 'SIGKILL'): Promise<void> {
    await this.container.kill({ signal });
  }

  async pause(): Promise<void> {
    await this.container.pause();
  }

  async unpause(): Promise<void> {
    await this.container.unpause();
  }

  remove(): Promise<void> {
    return removeContainer(this.container);
  }

  private async logs(): Promise<string> {
    try {
      const raw = await this.container.logs({ stdout: true, stderr: true, tail: 50 });
      return demuxLogs(Buffer.from(raw));
    } catch (error) {
      return `(no log: ${(error as Error).message})`;
    }
  }
}

async function create(options: Parameters<Docker['createContainer']>[0]): Promise<DockerContainer> {
  const container = await dockerode.createContainer({
    ...options,
    Labels: { ...options.Labels, [TEST_LABEL]: '1', [TEST_PID_LABEL]: String(process.pid) },
  });
  created.add(container.id);
  return container;
}

async function removeContainer(container: DockerContainer): Promise<void> {
  await ignoreStatus(container.remove({ force: true }), 404);
  created.delete(container.id);
}

/** Where this process reaches the container's ports (independent of the adapter's own logic). */
async function addressOf(info: InspectInfo): Promise<string> {
  const mode = info.HostConfig.NetworkMode ?? '';
  if (mode === 'host') return '127.0.0.1';
  if (mode.startsWith('container:')) {
    return addressOf(await dockerode.getContainer(mode.slice('container:'.length)).inspect());
  }
  const networks = info.NetworkSettings.Networks ?? {};
  const preferred = networks[mode]?.IPAddress;
  if (preferred) return preferred;
  const any = Object.values(networks).find((n) => n.IPAddress !== '')?.IPAddress;
  return any ?? info.NetworkSettings.IPAddress ?? '';
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(500);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** The installed `ws` package of the workspace (packages/http-api depends on it). */
function wsPackageDir(): string {
  const httpApi = path.resolve(__dirname, '../../packages/http-api');
  return path.dirname(require.resolve('ws/package.json', { paths: [httpApi] }));
}

/** Docker's log stream of a non-TTY container: 8-byte frame headers before each chunk. */
function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4);
    parts.push(raw.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8') || '(empty)';
}

async function ignoreStatus(request: Promise<unknown>, status: number): Promise<void> {
  try {
    await request;
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode !== status) throw error;
  }
}

function uniqueName(): string {
  return `porthole-test-${randomBytes(5).toString('hex')}`;
}
