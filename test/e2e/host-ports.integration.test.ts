import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { describeDocker, freePort, removeTestContainers, startFixtureContainer, type FixtureContainer } from '../support/docker';
import { startTestPorthole, type TestPorthole } from '../support/porthole';
import { TIMEOUTS, waitFor } from '../support/timeouts';

// `sort` over TCP: reads until the client shuts its write side, then answers.
const SORT_SERVER =
  "require('net').createServer({allowHalfOpen:true},s=>{let i='';s.on('data',d=>i+=d);" +
  "s.on('end',()=>s.end(i.split('\\n').filter(Boolean).sort().join('\\n')+'\\n'))}).listen(7000)";

function dial(port: number, allowHalfOpen = false): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describeDocker('host ports (local_port) against a real container', () => {
  let porthole: TestPorthole;
  let sorter: FixtureContainer;
  let first: number;

  beforeAll(async () => {
    sorter = await startFixtureContainer({ command: ['node', '-e', SORT_SERVER], waitForPorts: [7000] });
    first = await freePort();
    porthole = await startTestPorthole({ PORTHOLE_LOCAL_PORTS: `${first}-${first + 20}` });
  }, TIMEOUTS.engineHook);

  afterAll(async () => {
    await porthole?.close();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it('relays a TCP client, and a client that half-closes still gets the late reply', async () => {
    const created = await porthole.api('POST', `/api/containers/${sorter.id}/port-forwards`, { container_port: 7000 });
    expect(created.status).toBe(201);
    const socket = await dial(created.json.local_port, true);
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    const ended = once(socket, 'end');
    socket.end('b\na\n'); // what `printf 'b\na\n' | nc -N host port` does
    await ended;
    expect(reply).toBe('a\nb\n');
    await porthole.api('DELETE', `/api/containers/${sorter.id}/port-forwards/${created.json.id}`);
  }, TIMEOUTS.engineTest);

  it('answers 409 for a requested local_port another program holds', async () => {
    const squatter = createServer().listen(first + 10, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const refused = await porthole.api('POST', `/api/containers/${sorter.id}/port-forwards`, { container_port: 7000, local_port: first + 10 });
      expect([refused.status, refused.json.error.code]).toEqual([409, 'local_port_unavailable']);
    } finally {
      squatter.close();
    }
  });

  it('releases the port when the container is killed', async () => {
    const doomed = await startFixtureContainer({ command: ['node', '-e', SORT_SERVER], waitForPorts: [7000] });
    const created = await porthole.api('POST', `/api/containers/${doomed.id}/port-forwards`, { container_port: 7000 });
    const port = created.json.local_port as number;
    const live = await dial(port);
    const closed = once(live, 'close');
    await doomed.kill();
    await closed;
    await waitFor(
      'the listener to close',
      () =>
        dial(port).then(
          (socket) => {
            socket.destroy();
            return undefined;
          },
          (error: NodeJS.ErrnoException) => (error.code === 'ECONNREFUSED' ? true : undefined),
        ),
      TIMEOUTS.lifecycleEvent,
    );
  }, TIMEOUTS.engineTest);
});
