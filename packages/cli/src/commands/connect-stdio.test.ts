import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { ExitCode } from '../cli-error';
import { freshConfigHome, removeConfigHomes, startCli, type CliRun } from '../testing/cli-harness';
import { startPlainTunnelServer } from '../testing/plain-tunnel-server';
import { ADMIN_TOKEN, startTcpServer, startTestPorthole, unusedPort, waitUntil, type TcpFixture, type TestPorthole } from '../testing/test-porthole';

afterAll(removeConfigHomes);

jest.setTimeout(20_000);

const SIZE = 256 * 1024;
let porthole: TestPorthole;
let app: TcpFixture;
let env: Record<string, string>;

beforeEach(async () => {
  porthole = await startTestPorthole();
  app = await startTcpServer();
  env = { PORTHOLE_URL: porthole.origin, PORTHOLE_TOKEN: ADMIN_TOKEN, XDG_CONFIG_HOME: freshConfigHome() };
});

afterEach(async () => {
  await porthole.close();
  await app.close();
});

function stdio(target: string, overrides: Record<string, string> = {}): CliRun {
  return startCli(['connect', '--stdio', target], { env: { ...env, ...overrides } });
}

async function stdoutHolds(run: CliRun, bytes: number): Promise<Buffer> {
  await waitUntil(() => run.stdoutBytes().length >= bytes, 5_000, `${bytes} bytes on stdout`);
  return run.stdoutBytes();
}

describe('porthole connect --stdio', () => {
  it('carries stdin to the app and the app to stdout, 256 KB each way byte-exact', async () => {
    const down = randomBytes(SIZE);
    const up: Buffer[] = [];
    await app.close();
    app = await startTcpServer((socket: Socket) => {
      socket.on('data', (chunk: Buffer) => up.push(chunk));
      socket.write(down);
    });
    const forward = await porthole.forward(app.address);
    const run = stdio(forward.id);
    const sent = randomBytes(SIZE);
    run.stdin.write(sent);
    expect((await stdoutHolds(run, SIZE)).equals(down)).toBe(true);
    await waitUntil(() => Buffer.concat(up).length >= SIZE, 5_000, 'the upload');
    expect(Buffer.concat(up).equals(sent)).toBe(true);
    run.stdin.end();
    expect(await run.exited).toBe(ExitCode.ok);
    expect(run.stderr()).toBe('');
  });

  it('closes the tunnel with 1000 once stdin ends, after every byte', async () => {
    const server = await startPlainTunnelServer();
    try {
      const run = stdio(server.url);
      const payload = randomBytes(SIZE + 3);
      run.stdin.end(payload);
      const connection = await server.nextConnection();
      expect(await connection.closed).toEqual({ code: 1000, reason: 'client finished sending' });
      expect(Buffer.concat(connection.messages).equals(payload)).toBe(true);
      expect(await run.exited).toBe(ExitCode.ok);
    } finally {
      await server.close();
    }
  });

  it('exits when the app closes the connection, with what it sent last', async () => {
    await app.close();
    app = await startTcpServer((socket: Socket) => socket.end('bye\n'));
    const forward = await porthole.forward(app.address);
    const run = stdio(forward.id);
    expect(await run.exited).toBe(ExitCode.ok);
    expect(run.stdout()).toBe('bye\n');
    expect(run.stderr()).toBe('');
  });

  it('Ctrl-C closes the tunnel with 1000 and exits 0', async () => {
    const server = await startPlainTunnelServer();
    try {
      const run = stdio(server.url);
      const connection = await server.nextConnection();
      run.stdin.write('x');
      await waitUntil(() => connection.received() === 1, 5_000, 'a byte');
      run.interrupt();
      expect(await run.exited).toBe(ExitCode.ok);
      expect(await connection.closed).toEqual({ code: 1000, reason: 'porthole connect stopped' });
    } finally {
      await server.close();
    }
  });

  it('exits 1 when the server closes the tunnel for being idle', async () => {
    await porthole.close();
    porthole = await startTestPorthole({ limits: { tunnelIdleTimeoutMs: 300 } });
    const forward = await porthole.forward(app.address);
    const run = startCli(['connect', '--stdio', forward.id], { env: { ...env, PORTHOLE_URL: porthole.origin }, tunnel: { pingIntervalMs: 0 } });
    expect(await run.exited).toBe(ExitCode.failure);
    expect(run.stderr()).toBe('porthole: tunnel closed by the server: 4000 idle timeout\n');
  });

  it.each([
    ['a bad token (401)', 'pf_whatever', { PORTHOLE_TOKEN: 'wrong-token-0123456789' }, 'porthole: A valid credential is required: send "Authorization: Bearer <token>". (check the token: run `porthole login`, or set PORTHOLE_TOKEN)\n'],
    ['an unknown forward (404)', 'pf_nosuchforward0000000', {}, 'porthole: No port forward "pf_nosuchforward0000000" was found.\n'],
  ])('fails with one line for %s, printing nothing on stdout', async (_description, id, overrides: Record<string, string>, message) => {
    const run = stdio(id, overrides);
    expect(await run.exited).toBe(ExitCode.failure);
    expect(run.stderr()).toBe(message);
    expect(run.stdout()).toBe('');
  });

  it('fails with one line for an app that does not listen (502)', async () => {
    const forward = await porthole.forward({ host: '127.0.0.1', port: await unusedPort() });
    const run = stdio(forward.id);
    expect(await run.exited).toBe(ExitCode.failure);
    expect(run.stderr()).toBe(`porthole: Nothing accepts connections on port ${forward.containerPort} of the container.\n`);
  });

  it('reads a refusal that is not in Porthole\'s shape (a proxy in front) as its status', async () => {
    const proxy = createServer((_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad Gateway</h1>'));
    proxy.listen(0, '127.0.0.1');
    await new Promise((resolve) => proxy.once('listening', resolve));
    try {
      const { port } = proxy.address() as { port: number };
      const run = stdio(`ws://127.0.0.1:${port}/ws/port-forward/pf_x`);
      expect(await run.exited).toBe(ExitCode.failure);
      expect(run.stderr()).toBe('porthole: opening the tunnel failed: the server answered 502 Bad Gateway\n');
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });
});
