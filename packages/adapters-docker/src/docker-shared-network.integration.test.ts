import {
  CryptoIdGenerator,
  ForwardLifecycle,
  ForwardService,
  InMemoryForwardStore,
  RangePortAllocator,
  RuntimeFailure,
  systemClock,
  type Principal,
  type RuntimeContainer,
} from '@porthole/core';
import type { Duplex } from 'node:stream';
import {
  describeDocker,
  removeTestContainers,
  startFixtureContainer,
  type FixtureContainer,
} from '../../../test/support/docker';
import { TIMEOUTS, waitFor } from '../../../test/support/timeouts';
import { DockerContainerRuntime } from './docker-container-runtime';
import { dockerFromEnvironment } from './docker-environment';

/** Sends `text` through an echo connection and resolves with what came back. */
function echo(socket: Duplex, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received.length >= text.length) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.write(text);
  });
}

async function reasonOf(promise: Promise<Duplex>): Promise<string> {
  const error: unknown = await promise.then(
    (socket) => {
      socket.destroy();
      return new Error('expected a RuntimeFailure, but it connected');
    },
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(RuntimeFailure);
  return (error as RuntimeFailure).reason;
}

// The tester's scenario: `docker run --name n ... serve-all.js`, `docker run --name x
// --network container:n ... sleep`, a forward on x to a port n serves. Once n restarts,
// x keeps running in the old namespace (only `lo`) while n's new life serves at the same
// address: the forward must go, not proxy to n's new life.
describeDocker('a container in another container’s network namespace, on a real engine', () => {
  const runtime = new DockerContainerRuntime(dockerFromEnvironment());
  let n: FixtureContainer;
  let x: FixtureContainer;
  let joined: RuntimeContainer;

  beforeEach(async () => {
    n = await startFixtureContainer();
    x = await startFixtureContainer({ network: `container:${n.id}`, command: ['sleep', '100000'] });
    joined = (await runtime.find(x.id)) as RuntimeContainer;
  }, TIMEOUTS.engineHook);

  afterEach(() => removeTestContainers(), TIMEOUTS.engineHook);

  it('is dialed at the owner’s address while the owner runs in the life it joined', async () => {
    expect(joined).toMatchObject({ running: true, paused: false, state: 'running' });
    const own = (await runtime.find(n.id)) as RuntimeContainer;
    expect(joined.incarnation).toMatch(new RegExp(`\\|${n.id}@${own.incarnation.replace(/\./g, '\\.')}$`));
    const socket = await runtime.dial({ containerId: x.id, incarnation: joined.incarnation, port: n.tcpPort });
    expect((socket as unknown as { remoteAddress: string }).remoteAddress).toBe(n.address);
    expect(await echo(socket, 'through n')).toBe('through n');
  }, TIMEOUTS.engineTest);

  it('is in a new life, not running, and gone to dial once the owner restarted', async () => {
    await n.container.restart({ t: 5 });
    const now = (await runtime.find(x.id)) as RuntimeContainer;
    expect(now).toMatchObject({ running: false, paused: false, state: expect.stringMatching(/was restarted since/) });
    expect(now.incarnation).not.toBe(joined.incarnation);
    expect((await x.inspect()).State.Running).toBe(true);
    for (const incarnation of [joined.incarnation, now.incarnation]) {
      expect(await reasonOf(runtime.dial({ containerId: x.id, incarnation, port: n.tcpPort }))).toBe('gone');
    }
  }, TIMEOUTS.engineTest);

  it('is not running, in the same life, and gone to dial once the owner stopped', async () => {
    await n.stop();
    const now = (await runtime.find(x.id)) as RuntimeContainer;
    expect(now).toMatchObject({ running: false, paused: false, state: expect.stringMatching(/is exited/) });
    expect(now.incarnation).toBe(joined.incarnation);
    expect(await reasonOf(runtime.dial({ containerId: x.id, incarnation: joined.incarnation, port: n.tcpPort }))).toBe('gone');
  }, TIMEOUTS.engineTest);

  it('is in a new life, running again, once restarted itself into the owner’s new namespace', async () => {
    await n.container.restart({ t: 5 });
    await x.container.restart({ t: 1 });
    const now = (await runtime.find(x.id)) as RuntimeContainer;
    expect(now.running).toBe(true);
    expect(now.incarnation).not.toBe(joined.incarnation);
    const socket = await runtime.dial({ containerId: x.id, incarnation: now.incarnation, port: n.tcpPort });
    expect(await echo(socket, 'rejoined')).toBe('rejoined');
  }, TIMEOUTS.engineTest);

  describe('with the core’s forwards and lifecycle', () => {
    const admin: Principal = { id: 'admin', role: 'admin' };
    let forwards: ForwardService;
    let store: InMemoryForwardStore;
    let lifecycle: ForwardLifecycle;
    let logged: string[];

    beforeEach(() => {
      store = new InMemoryForwardStore();
      forwards = new ForwardService({
        runtime,
        store,
        localPorts: new RangePortAllocator({ first: 20000, last: 20099 }),
        ids: new CryptoIdGenerator(),
        clock: systemClock,
        events: { publish: () => undefined },
      });
      logged = [];
      lifecycle = new ForwardLifecycle(runtime, forwards, ({ msg }) => logged.push(msg));
      lifecycle.start();
    });

    afterEach(() => lifecycle.stop());

    it.each<[string, () => Promise<void>]>([
      ['docker restart n', () => n.container.restart({ t: 5 })],
      ['docker stop n', () => n.stop()],
      ['docker rm -f n', () => n.remove()],
    ])('%s removes x’s forwards at once, by event', async (_description, act) => {
      const forward = await forwards.createForward(admin, x.name, { containerPort: n.tcpPort });
      expect(await echo(await forwards.connect(forward), 'before')).toBe('before');
      await act();
      await waitFor(
        'x’s forward to be removed',
        async () => ((await store.listByContainer(x.id)).length === 0 ? true : undefined),
        TIMEOUTS.lifecycleEvent,
      );
      expect(logged).toContain('container lost its network: removed its forwards');
      await expect(forwards.resolveForward(admin, forward.id)).rejects.toMatchObject({ code: 'forward_not_found' });
      await expect(forwards.createForward(admin, x.name, { containerPort: n.tcpPort })).rejects.toMatchObject({
        code: 'container_not_running',
      });
    }, TIMEOUTS.engineTest);
  });
});
