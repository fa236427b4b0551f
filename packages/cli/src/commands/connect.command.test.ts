import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { ExitCode } from '../cli-error';
import { freshConfigHome, removeConfigHomes, listeningPort, startCli, type CliRun } from '../testing/cli-harness';
import { localClient } from '../testing/local-client';
import { startPlainTunnelServer, type PlainTunnelServer } from '../testing/plain-tunnel-server';
import { ADMIN_TOKEN, startTcpServer, startTestPorthole, unusedPort, waitUntil, type TcpFixture, type TestPorthole } from '../testing/test-porthole';

afterAll(removeConfigHomes);

jest.setTimeout(20_000);

const SIZE = 256 * 1024;
let porthole: TestPorthole;
let app: TcpFixture;
let env: Record<string, string>;
const runs: CliRun[] = [];

beforeEach(async () => {
  porthole = await startTestPorthole();
  app = await startTcpServer();
  env = { PORTHOLE_URL: porthole.origin, PORTHOLE_TOKEN: ADMIN_TOKEN, XDG_CONFIG_HOME: freshConfigHome() };
});

afterEach(async () => {
  for (const run of runs.splice(0)) {
    run.interrupt();
    await run.exited;
  }
  await porthole.close();
  await app.close();
});

function connectCli(argv: string[], overrides: Record<string, string> = {}): CliRun {
  const run = startCli(['connect', ...argv], { env: { ...env, ...overrides } });
  runs.push(run);
  return run;
}

describe('porthole connect', () => {
  it('says where it listens, on loopback and a free port by default', async () => {
    const forward = await porthole.forward(app.address);
    const run = connectCli([forward.id]);
    const port = await listeningPort(run);
    expect(run.stdout()).toBe(`Forwarding from 127.0.0.1:${port} -> ${forward.id} (Ctrl-C to stop)\n`);
  });

  it('relays 256 KB each way byte-exact, each direction on its own', async () => {
    const down = randomBytes(SIZE);
    const up: Buffer[] = [];
    await app.close();
    app = await startTcpServer((socket: Socket) => {
      socket.on('data', (chunk: Buffer) => up.push(chunk));
      socket.write(down);
    });
    const forward = await porthole.forward(app.address);
    const run = connectCli([forward.id]);
    const client = await localClient(await listeningPort(run));
    const sent = randomBytes(SIZE);
    client.socket.write(sent);
    expect((await client.waitFor(SIZE)).equals(down)).toBe(true);
    await waitUntil(() => Buffer.concat(up).length >= SIZE, 5_000, 'the upload');
    expect(Buffer.concat(up).equals(sent)).toBe(true);
  });

  it('opens one tunnel per connection, and keeps bytes sent before the tunnel was open', async () => {
    const forward = await porthole.forward(app.address);
    const port = await listeningPort(connectCli([forward.id]));
    const clients = await Promise.all([1, 2, 3].map(() => localClient(port)));
    const payloads = clients.map(() => randomBytes(SIZE));
    clients.forEach((client, i) => client.socket.write(payloads[i] as Buffer)); // at once, tunnels not open yet
    for (const [i, client] of clients.entries()) expect((await client.waitFor(SIZE)).equals(payloads[i] as Buffer)).toBe(true);
    expect(app.openConnections()).toBe(3);
  });

  it('ends the local connection when the app closes its side, and keeps listening', async () => {
    await app.close();
    app = await startTcpServer((socket: Socket) => socket.end('bye\n'));
    const forward = await porthole.forward(app.address);
    const run = connectCli([forward.id]);
    const port = await listeningPort(run);
    for (const _ of [1, 2]) {
      const client = await localClient(port);
      await client.ended;
      expect(client.received().toString()).toBe('bye\n');
    }
    expect(run.stderr()).toBe('');
  });

  it('listens on --local-port and --bind', async () => {
    const forward = await porthole.forward(app.address);
    const wanted = await unusedPort();
    const run = connectCli([forward.id, '--local-port', String(wanted), '--bind', '127.0.0.1']);
    expect(await listeningPort(run)).toBe(wanted);
  });

  it('fails with one line when the local port is taken', async () => {
    const forward = await porthole.forward(app.address);
    const first = connectCli([forward.id]);
    const port = await listeningPort(first);
    const second = connectCli([forward.id, '--local-port', String(port)]);
    expect(await second.exited).toBe(ExitCode.failure);
    expect(second.stderr()).toBe(`porthole: cannot listen on 127.0.0.1:${port}: the port is in use\n`);
  });

  it('tells when the server ends a tunnel because the forward was removed', async () => {
    const forward = await porthole.forward(app.address);
    const run = connectCli([forward.id]);
    const client = await localClient(await listeningPort(run));
    client.socket.write('x');
    await client.waitFor(1);
    await porthole.remove(forward);
    await client.ended;
    await waitUntil(() => run.stderr() !== '', 5_000, 'the note');
    expect(run.stderr()).toBe('porthole: tunnel closed by the server: 1000 port forward removed\n');
  });

  describe('refusals', () => {
    // 401 and 404 hold for every later connection too: say so once and stop.
    it.each([
      ['a bad token (401)', 'pf_whatever', { PORTHOLE_TOKEN: 'wrong-token-0123456789' }, 'porthole: A valid credential is required: send "Authorization: Bearer <token>". (check the token: run `porthole login`, or set PORTHOLE_TOKEN)\n'],
      ['an unknown forward (404)', 'pf_nosuchforward0000000', {}, 'porthole: No port forward "pf_nosuchforward0000000" was found.\n'],
    ])('ends at the first connection for %s, with the server\'s message', async (_description, id, overrides, message) => {
      const run = connectCli([id], overrides);
      const client = await localClient(await listeningPort(run));
      await client.ended;
      expect(await run.exited).toBe(ExitCode.failure);
      expect(run.stderr()).toBe(message);
    });

    it('reports an app that does not listen (502) per connection, and keeps listening', async () => {
      const port = await unusedPort();
      const forward = await porthole.forward({ host: '127.0.0.1', port });
      const run = connectCli([forward.id]);
      const local = await listeningPort(run);
      for (const _ of [1, 2]) await (await localClient(local)).ended;
      const line = `porthole: Nothing accepts connections on port ${forward.containerPort} of the container.\n`;
      await waitUntil(() => run.stderr() === line + line, 5_000, 'two lines');
      run.interrupt();
      expect(await run.exited).toBe(ExitCode.ok);
    });

    it('reports a Porthole it cannot reach, and keeps listening', async () => {
      const url = `ws://127.0.0.1:${await unusedPort()}`;
      const run = connectCli([`${url}/ws/port-forward/pf_x`]);
      await (await localClient(await listeningPort(run))).ended;
      await waitUntil(() => run.stderr() !== '', 5_000, 'the line');
      expect(run.stderr()).toBe(`porthole: cannot reach Porthole at ${url}: connection refused\n`);
    });
  });

  describe('with a websocket_url and a bare tunnel server', () => {
    let server: PlainTunnelServer;
    beforeEach(async () => {
      server = await startPlainTunnelServer();
    });
    afterEach(() => server.close());

    it('needs only the token, sent in the Authorization header', async () => {
      const run = startCli(['connect', server.url], { env: { PORTHOLE_TOKEN: 'only-a-token', XDG_CONFIG_HOME: freshConfigHome() } });
      runs.push(run);
      await localClient(await listeningPort(run));
      expect((await server.nextConnection()).authorization).toBe('Bearer only-a-token');
    });

    it('Ctrl-C closes every tunnel with 1000 and exits 0', async () => {
      const run = connectCli([server.url]);
      const port = await listeningPort(run);
      const clients = await Promise.all([localClient(port), localClient(port)]);
      const connections = [await server.nextConnection(), await server.nextConnection()];
      // A byte through each: the tunnels are open on both sides, not still being opened.
      for (const client of clients) client.socket.write('x');
      await waitUntil(() => connections.every((c) => c.received() === 1), 5_000, 'a byte through each tunnel');
      run.interrupt();
      expect(await run.exited).toBe(ExitCode.ok);
      for (const connection of connections) expect(await connection.closed).toEqual({ code: 1000, reason: 'porthole connect stopped' });
      for (const client of clients) await client.ended;
      expect(run.stderr()).toBe('');
    });

    it('sends a local EOF on as a clean close, after every byte', async () => {
      const run = connectCli([server.url]);
      const client = await localClient(await listeningPort(run));
      const connection = await server.nextConnection();
      const payload = randomBytes(3 * SIZE + 7);
      client.socket.end(payload);
      expect(await connection.closed).toEqual({ code: 1000, reason: 'client finished sending' });
      expect(Buffer.concat(connection.messages).equals(payload)).toBe(true);
      await client.ended;
    });
  });
});
