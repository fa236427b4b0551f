/**
 * A real Redis server in a test container, for the CLI's end-to-end tests: Debian's
 * `redis-server` in a `docker import`-ed image (scripts/build-redis-image.sh), and
 * Debian's `redis-cli` on this machine as the client. Both come from apt packages
 * (`redis-server`, `redis-tools`), which .ci/run installs.
 *
 *   beforeAll(async () => { redis = await startRedisContainer(); });   // builds the image once
 *   afterAll(() => redis.remove());
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { dockerode, TEST_LABEL, TEST_PID_LABEL, waitForPort } from './docker';
import { TIMEOUTS } from './timeouts';

export const REDIS_IMAGE = 'porthole-test/redis:local';
export const REDIS_PORT = 6379;
const BUILD_SCRIPT = path.resolve(__dirname, '../../scripts/build-redis-image.sh');

/** Why Redis tests cannot run here, or undefined when both programs are installed. */
export function redisMissing(): string | undefined {
  for (const program of ['redis-server', 'redis-cli']) {
    if (spawnSync('sh', ['-c', `command -v ${program}`]).status !== 0) {
      return `${program} is not installed (apt-get install redis-server redis-tools)`;
    }
  }
  return undefined;
}

/** Builds the image unless it exists (the script is idempotent). */
export function ensureRedisImage(): void {
  const build = spawnSync('bash', [BUILD_SCRIPT, REDIS_IMAGE], { encoding: 'utf8', timeout: 120_000 });
  if (build.error || build.status !== 0) {
    throw new Error(`scripts/build-redis-image.sh failed: ${build.error?.message ?? build.stderr.trim()}`);
  }
}

export interface RedisContainer {
  readonly id: string;
  readonly name: string;
  /** Its address on the daemon's bridge, reachable from here. */
  readonly address: string;
  remove(): Promise<void>;
}

/** Runs redis-server (no persistence) and resolves once it accepts connections. */
export async function startRedisContainer(): Promise<RedisContainer> {
  ensureRedisImage();
  const name = `porthole-test-redis-${process.pid}-${Date.now().toString(36)}`;
  const container = await dockerode.createContainer({
    name,
    Image: REDIS_IMAGE,
    Cmd: ['redis-server', '--port', String(REDIS_PORT), '--bind', '0.0.0.0', '--protected-mode', 'no', '--save', '', '--appendonly', 'no'],
    // Labelled like every test container, so global-setup sweeps it after a crashed run.
    Labels: { [TEST_LABEL]: '1', [TEST_PID_LABEL]: String(process.pid) },
    HostConfig: { NetworkMode: 'bridge' },
  });
  const remove = async () => {
    await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
      if (error.statusCode !== 404) throw error;
    });
  };
  try {
    await container.start();
    const info = await container.inspect();
    const address = Object.values(info.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress !== '')?.IPAddress ?? '';
    await waitForPort(address, REDIS_PORT, TIMEOUTS.containerReady);
    return { id: container.id, name, address, remove };
  } catch (error) {
    await remove();
    throw error;
  }
}

/**
 * `redis-cli -h HOST -p PORT ARGS...` with `input` on its stdin: exit code and output.
 * Never spawnSync: the Porthole under test may run in this very process.
 */
export function redisCli(
  host: string,
  port: number,
  args: readonly string[],
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-cli', ['-h', host, '-p', String(port), ...args], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 10_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
