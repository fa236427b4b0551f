import type { RuntimeContainer } from '@porthole/core';
import Dockerode from 'dockerode';
import { randomBytes } from 'node:crypto';
import {
  createdContainer,
  describeDocker,
  removeTestContainers,
  startFixtureContainer,
  type FixtureContainer,
} from '../../../test/support/docker';
import { echo, failureOf } from '../../../test/support/runtime-checks';
import { TIMEOUTS } from '../../../test/support/timeouts';
import { DockerContainerRuntime } from './docker-container-runtime';
import { dockerFromEnvironment } from './docker-environment';

describeDocker('DockerContainerRuntime on a real engine', () => {
  const runtime = new DockerContainerRuntime(dockerFromEnvironment());
  let web: FixtureContainer;
  let found: RuntimeContainer;

  beforeAll(async () => {
    web = await startFixtureContainer({ labels: { 'porthole.owner': 'alice' } });
    found = (await runtime.find(web.id)) as RuntimeContainer;
  }, TIMEOUTS.engineHook);

  afterAll(() => removeTestContainers(), TIMEOUTS.engineHook);

  describe('find', () => {
    it('reports a running container with its owner label', () => {
      expect(found).toEqual({
        id: web.id,
        name: web.name,
        running: true,
        paused: false,
        state: 'running',
        incarnation: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        owner: 'alice',
      });
      expect(web.id).toMatch(/^[0-9a-f]{64}$/);
    });

    it.each<[string, () => string]>([
      ['its full id', () => web.id],
      ['its short id', () => web.id.slice(0, 12)],
      ['its name', () => web.name],
      ['its name as the engine writes it, with a leading slash', () => `/${web.name}`],
    ])('finds it by %s, always under the full id', async (_description, ref) => {
      expect(await runtime.find(ref())).toEqual(found);
    });

    it.each<[string, string]>([
      ['an unknown name', `porthole-test-missing-${randomBytes(4).toString('hex')}`],
      ['an unknown id', 'f'.repeat(64)],
      ['a reference that is no container name at all', '../images/json'],
      ['a reference the engine would redirect', '//web'],
    ])('answers null for %s', async (_description, ref) => {
      expect(await runtime.find(ref)).toBeNull();
    });

    it('reports a created, never started container as not running, without an owner', async () => {
      const created = await createdContainer();
      expect(await runtime.find(created.name)).toEqual({
        id: created.id,
        name: created.name,
        running: false,
        paused: false,
        state: 'created',
        incarnation: expect.any(String),
        owner: null,
      });
    }, TIMEOUTS.engineTest);

    it('reports a paused container as paused, not running, and in the same life once unpaused', async () => {
      const paused = await startFixtureContainer();
      const before = (await runtime.find(paused.id)) as RuntimeContainer;
      await paused.pause();
      try {
        expect(await runtime.find(paused.id)).toMatchObject({ running: false, paused: true, state: 'paused' });
        const failure = await failureOf(runtime.dial({ containerId: paused.id, incarnation: before.incarnation, port: paused.tcpPort }));
        expect(failure.reason).toBe('paused');
      } finally {
        await paused.unpause();
      }
      expect(await runtime.find(paused.id)).toEqual(before);
    }, TIMEOUTS.engineTest);
  });

  describe('dial', () => {
    it('carries 256 KiB through the container’s TCP echo, byte for byte', async () => {
      const payload = randomBytes(256 * 1024);
      const socket = await runtime.dial({ containerId: web.id, incarnation: found.incarnation, port: web.tcpPort });
      expect(Buffer.compare(await echo(socket, payload), payload)).toBe(0);
    }, TIMEOUTS.engineTest);

    it('answers refused, quickly, for a port nothing listens on', async () => {
      const started = Date.now();
      const failure = await failureOf(runtime.dial({ containerId: web.id, incarnation: found.incarnation, port: 9999 }));
      expect(failure.reason).toBe('refused');
      expect(Date.now() - started).toBeLessThan(TIMEOUTS.refusedDial);
    });

    it('answers gone for a container that is not running, and for the old life after a restart', async () => {
      const target = await startFixtureContainer();
      const firstLife = (await runtime.find(target.id)) as RuntimeContainer;
      await target.stop();
      const stopped = await failureOf(runtime.dial({ containerId: target.id, incarnation: firstLife.incarnation, port: target.tcpPort }));
      expect(stopped.reason).toBe('gone');

      await target.start();
      const secondLife = (await runtime.find(target.id)) as RuntimeContainer;
      expect(secondLife.incarnation).not.toBe(firstLife.incarnation);
      const stale = await failureOf(runtime.dial({ containerId: target.id, incarnation: firstLife.incarnation, port: target.tcpPort }));
      expect(stale.reason).toBe('gone');
      const socket = await runtime.dial({ containerId: target.id, incarnation: secondLife.incarnation, port: target.tcpPort });
      expect((await echo(socket, Buffer.from('second life'))).toString()).toBe('second life');

      await target.remove();
      const removed = await failureOf(runtime.dial({ containerId: target.id, incarnation: secondLife.incarnation, port: target.tcpPort }));
      expect(removed.reason).toBe('gone');
    }, TIMEOUTS.engineTest);

    it('dials a host-network container on loopback', async () => {
      const onHost = await startFixtureContainer({ network: 'host' });
      const container = (await runtime.find(onHost.id)) as RuntimeContainer;
      expect(container.running).toBe(true);
      const socket = await runtime.dial({ containerId: onHost.id, incarnation: container.incarnation, port: onHost.tcpPort });
      expect((socket as unknown as { remoteAddress: string }).remoteAddress).toBe('127.0.0.1');
      expect((await echo(socket, Buffer.from('on the host'))).toString()).toBe('on the host');
    }, TIMEOUTS.engineTest);

    it('dials a container that shares another container’s network at that container’s address', async () => {
      const sidecar = await startFixtureContainer({ network: `container:${web.id}`, httpPort: 8181, tcpPort: 9191 });
      const container = (await runtime.find(sidecar.id)) as RuntimeContainer;
      const socket = await runtime.dial({ containerId: sidecar.id, incarnation: container.incarnation, port: 9191 });
      expect((socket as unknown as { remoteAddress: string }).remoteAddress).toBe(web.address);
      expect((await echo(socket, Buffer.from('sidecar'))).toString()).toBe('sidecar');
    }, TIMEOUTS.engineTest);

    it('answers refused for a container without a network', async () => {
      const isolated = await startFixtureContainer({ network: 'none', command: ['sleep', '3600'] });
      const container = (await runtime.find(isolated.id)) as RuntimeContainer;
      expect(container.running).toBe(true);
      const failure = await failureOf(runtime.dial({ containerId: isolated.id, incarnation: container.incarnation, port: 9000 }));
      expect(failure.reason).toBe('refused');
      expect(failure.message).toMatch(/--network none/);
    }, TIMEOUTS.engineTest);
  });

  describe('ping', () => {
    it('resolves while the engine answers', async () => {
      await expect(runtime.ping()).resolves.toBeUndefined();
    });
  });
});

describeDocker('DockerContainerRuntime without a reachable engine', () => {
  const nowhere = new Dockerode({ socketPath: `/tmp/porthole-no-engine-${process.pid}.sock`, host: undefined });
  const runtime = new DockerContainerRuntime(nowhere);

  it.each<[string, () => Promise<unknown>]>([
    ['find', () => runtime.find('web')],
    ['ping', () => runtime.ping()],
    ['dial', () => runtime.dial({ containerId: 'f'.repeat(64), incarnation: 'x', port: 80 })],
  ])('%s rejects with unavailable, quickly', async (_description, call) => {
    const started = Date.now();
    const failure = await failureOf(call());
    expect(failure.reason).toBe('unavailable');
    expect(failure.cause).toBeDefined();
    expect(Date.now() - started).toBeLessThan(TIMEOUTS.unavailableEngine);
  });
});
