// Porthole's own image, built from the repository's Dockerfile and run as a container
// against the test engine, going through the README walkthrough: forward, proxy, tunnel,
// and the forward gone when its container stops.
//
// There is no image registry here: scripts/build-node-base-image.sh first makes a local
// node:20-bookworm-slim (docker import of this machine's node, npm and busybox) unless the
// tag exists, so the Dockerfile builds unchanged. Builds run with `--network host`: the
// test daemon has --iptables=false, so its bridge has no way out to the npm registry.
// Both images stay in the engine afterwards; later runs reuse the layer cache (the
// dependency layer is rebuilt only when pnpm-lock.yaml changes).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  TEST_LABEL,
  TEST_PID_LABEL,
  describeDocker,
  dockerode,
  engineSocketPath,
  freePort,
  removeTestContainers,
  startFixtureContainer,
  type DockerContainer,
  type FixtureContainer,
} from '../support/docker';
import { openWebSocket } from '../support/http';
import { TIMEOUTS, waitFor } from '../support/timeouts';

const ROOT = path.resolve(__dirname, '../..');
const IMAGE = 'porthole-test/porthole:local';
const BASE_IMAGE = 'node:20-bookworm-slim';
// A cold build on a 2-core machine took about 75 s (pnpm fetch of every package of the
// lockfile is most of it), a rebuild after a source change about 40 s. Generous limits:
const BUILD_TIMEOUT_MS = 15 * 60_000;
const BUILD_HOOK_TIMEOUT_MS = BUILD_TIMEOUT_MS + 60_000;
// Measured: the layers the Dockerfile adds to the base are about 50 MB (apps/server's
// production tree), the whole image about 170 MB on the local base (the real
// node:20-bookworm-slim is larger than that stand-in). Bound: measured plus margin.
const MAX_ADDED_BYTES = 100 * 1000 * 1000;
const TOKEN = `image-test-token-${randomBytes(8).toString('hex')}`;
const MB = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

/** Runs the docker CLI (against DOCKER_HOST, as the rest of the suite); rejects with its output's tail. */
function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n');
        reject(new Error(`docker ${args.join(' ')} failed: ${error.message}\n${tail}`));
      } else resolve(stdout);
    });
  });
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: ROOT, timeout: timeoutMs }, (error, stdout, stderr) =>
      error ? reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

async function imageSize(tag: string): Promise<number> {
  return (await dockerode.getImage(tag).inspect()).Size;
}

/** Docker's log stream of a non-TTY container, demultiplexed (8-byte frame headers). */
async function logsOf(container: DockerContainer): Promise<string> {
  try {
    const raw = Buffer.from(await container.logs({ stdout: true, stderr: true, tail: 60 }));
    const parts: Buffer[] = [];
    for (let offset = 0; offset + 8 <= raw.length; offset += 8 + raw.readUInt32BE(offset + 4)) {
      parts.push(raw.subarray(offset + 8, offset + 8 + raw.readUInt32BE(offset + 4)));
    }
    return Buffer.concat(parts).toString('utf8');
  } catch (error) {
    return `(no log: ${(error as Error).message})`;
  }
}

/**
 * better-sqlite3's install script downloads its prebuilt binary from GitHub, out of reach
 * here. This serves the binary that the workspace's own install built (same Node, same
 * glibc) on loopback, under the file name the script asks a mirror for
 * (npm_config_better_sqlite3_binary_host, see the Dockerfile).
 */
async function serveSqliteBinding(): Promise<{ url: string; close(): void }> {
  const sqliteDir = path.join(ROOT, 'packages/adapters-sqlite');
  const pkgDir = path.dirname(require.resolve('better-sqlite3/package.json', { paths: [sqliteDir] }));
  const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = mkdtempSync(path.join(tmpdir(), 'porthole-sqlite-mirror-'));
  const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-linux-${process.arch}.tar.gz`;
  await run('tar', ['-czf', path.join(dir, file), '-C', pkgDir, 'build/Release/better_sqlite3.node'], 30_000);
  const tarball = readFileSync(path.join(dir, file));
  rmSync(dir, { recursive: true, force: true });
  const server: Server = createServer((req, res) => {
    if (req.url === `/v${version}/${file}`) res.writeHead(200, { 'content-type': 'application/gzip' }).end(tarball);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describeDocker("Porthole's container image", () => {
  let buildMs = 0;

  beforeAll(async () => {
    await run('bash', [path.join(ROOT, 'scripts/build-node-base-image.sh'), BASE_IMAGE], 120_000);
    const previous = await dockerode.getImage(IMAGE).inspect().then((i) => i.Id, () => undefined);
    const started = Date.now();
    const mirror = await serveSqliteBinding();
    try {
      // --force-rm: a failed step leaves no stopped container behind (the legacy builder keeps it).
      await docker(
        ['build', '--network', 'host', '--force-rm', '--build-arg', `npm_config_better_sqlite3_binary_host=${mirror.url}`, '--tag', IMAGE, '.'],
        BUILD_TIMEOUT_MS,
      );
    } finally {
      mirror.close();
    }
    buildMs = Date.now() - started;
    // The image of an earlier run, replaced by this one: not left to pile up untagged.
    const current = (await dockerode.getImage(IMAGE).inspect()).Id;
    if (previous !== undefined && previous !== current) await dockerode.getImage(previous).remove().catch(() => undefined);
  }, BUILD_HOOK_TIMEOUT_MS);

  it('runs as a non-root user and stays small', async () => {
    const image = await dockerode.getImage(IMAGE).inspect();
    expect(image.Config.User).toBe('node');
    // What the process really runs as, not only what the image says.
    const ids = (await docker(['run', '--rm', '--entrypoint', 'id', IMAGE])).trim();
    expect(ids).toMatch(/^uid=1000\(node\) gid=1000\(node\)/);
    expect(image.Config.ExposedPorts).toHaveProperty('8080/tcp');
    expect(image.Config.Env).toContain('PORTHOLE_HOST=0.0.0.0');

    const size = image.Size;
    const base = await imageSize(BASE_IMAGE);
    console.log(
      `[porthole] ${IMAGE}: built in ${(buildMs / 1000).toFixed(1)} s; ${MB(size)} ` +
        `(${BASE_IMAGE} ${MB(base)} + ${MB(size - base)} of Porthole)`,
    );
    expect(size - base).toBeLessThan(MAX_ADDED_BYTES);
    expect(size).toBeLessThan(base + MAX_ADDED_BYTES);
  }, 60_000);

  describe('as a container, through the README walkthrough', () => {
    let porthole: DockerContainer | undefined;
    let web: FixtureContainer;
    let base = '';

    beforeAll(async () => {
      web = await startFixtureContainer();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      const socket = engineSocketPath();
      porthole = await dockerode.createContainer({
        name: `porthole-test-image-${randomBytes(4).toString('hex')}`,
        Image: IMAGE,
        Env: [
          'DOCKER_HOST=unix:///var/run/docker.sock',
          // --network host: listen on loopback only, at a free port (the image's
          // 0.0.0.0 would open it on every interface of this machine).
          'PORTHOLE_HOST=127.0.0.1',
          `PORTHOLE_PORT=${port}`,
          `PORTHOLE_ADMIN_TOKEN=${TOKEN}`,
        ],
        Labels: { [TEST_LABEL]: '1', [TEST_PID_LABEL]: String(process.pid) },
        HostConfig: {
          // The host's network: Porthole reaches the fixture at its address on the test
          // bridge, and this process reaches Porthole on loopback, as with `npm start`.
          NetworkMode: 'host',
          Binds: [`${socket}:/var/run/docker.sock`],
          // The image runs as `node` (uid 1000), and the engine's socket is rw for its
          // owner and group only: add the socket's group to the process rather than run
          // this container as root, so that the test runs the image as shipped (and as
          // the README tells people to run it).
          GroupAdd: [String(statSync(socket).gid)],
          // As deploy/kubernetes runs it: read-only root, no capabilities, no setuid.
          ReadonlyRootfs: true,
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
        },
      });
      await porthole.start();
      const container = porthole;
      try {
        await waitFor(
          'Porthole in its container to be ready',
          async () => {
            const state = (await container.inspect()).State;
            if (!state.Running) throw new Error(`the container exited (${state.ExitCode})`);
            const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
            return ready ? true : undefined;
          },
          20_000,
          100,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\nits log:\n${await logsOf(container)}`);
      }
    }, TIMEOUTS.engineHook);

    afterAll(async () => {
      await porthole?.remove({ force: true }).catch(() => undefined);
      await removeTestContainers();
    }, TIMEOUTS.engineHook);

    const api = (containerId: string, init: RequestInit = {}) =>
      fetch(`${base}/api/containers/${containerId}/port-forwards`, {
        ...init,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers },
      });

    it('passes its own HEALTHCHECK', async () => {
      const test = (await dockerode.getImage(IMAGE).inspect()).Config.Healthcheck?.Test ?? [];
      expect(test[0]).toBe('CMD');
      // The image's check, run now rather than after its 30 s interval; fails on a non-zero exit.
      await docker(['exec', (porthole as DockerContainer).id, ...test.slice(1)]);
    }, TIMEOUTS.engineTest);

    it('forwards, proxies, tunnels, and drops the forward when the container stops', async () => {
      // 3. Create a forward.
      const created = await api(web.name, { method: 'POST', body: JSON.stringify({ container_port: web.httpPort, name: 'Web Server' }) });
      expect(created.status).toBe(201);
      const forward = (await created.json()) as { id: string; container_id: string; proxy_url: string; websocket_url: string };
      expect(forward.container_id).toBe(web.id);
      expect(forward.proxy_url).toBe(`${base}/p/${forward.id}/`);

      // 4. Through the proxy: the app answers (the fixture echoes the request as JSON).
      const proxied = await fetch(`${forward.proxy_url}hello?x=1`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(proxied.status).toBe(200);
      expect(((await proxied.json()) as { url: string }).url).toBe('/hello?x=1');

      // 5. Bytes through the tunnel, the token in the subprotocols: HTTP by hand.
      const tunnel = await openWebSocket(forward.websocket_url, { protocols: ['Bearer', TOKEN] });
      tunnel.ws.send(Buffer.from('GET /through-the-tunnel HTTP/1.0\r\n\r\n'));
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        tunnel.closed,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the tunnel did not close')), 10_000))),
      ]).finally(() => clearTimeout(timer));
      expect(closed.code).toBe(1000);
      const answer = Buffer.concat(tunnel.messages).toString('utf8');
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(answer).toContain('"url":"/through-the-tunnel"');

      // Porthole restarts (an upgrade, a crash): the forward is still there, as it was,
      // from the SQLite database in the image's /data volume.
      await docker(['restart', '--time', '10', (porthole as DockerContainer).id], 30_000);
      await waitFor('Porthole to be ready again', () => fetch(`${base}/readyz`).then((r) => (r.status === 200 ? true : undefined), () => undefined), 20_000, 100);
      const afterRestart = await fetch(`${forward.proxy_url}again`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(afterRestart.status).toBe(200);

      // 8. Forwards die with their container.
      const listed = await api(web.name);
      expect((await listed.json()) as unknown[]).toEqual([forward]);
      await web.stop();
      await waitFor(
        'the forward list to be empty',
        async () => {
          const list = await api(web.id);
          const body = (await list.json()) as unknown[];
          return list.status === 200 && body.length === 0 ? true : undefined;
        },
        TIMEOUTS.lifecycleEvent + 3_000,
        100,
      );
    }, 60_000);

    it('stops at once on `docker stop`: node is PID 1 and takes SIGTERM itself', async () => {
      const container = porthole as DockerContainer;
      const started = Date.now();
      await container.stop({ t: 10 });
      const stoppedIn = Date.now() - started;
      const state = (await container.inspect()).State;
      expect(state.ExitCode).toBe(0);
      expect(stoppedIn).toBeLessThan(6_000); // not the 10 s after which the engine kills it
    }, TIMEOUTS.engineTest);
  });
});
