import type { LifecycleEvent, Unsubscribe } from '@porthole/core';
import Dockerode from 'dockerode';
import {
  describeDocker,
  engineSocketPath,
  removeTestContainers,
  startFixtureContainer,
  type FixtureContainer,
} from '../../../test/support/docker';
import { startSocketRelay, type SocketRelay } from '../../../test/support/socket-relay';
import { TIMEOUTS, sleep, waitFor } from '../../../test/support/timeouts';
import { DockerContainerRuntime } from './docker-container-runtime';
import { dockerFromEnvironment } from './docker-environment';
import type { DockerRuntimeLogEntry } from './docker-runtime-options';

/** One watch on a runtime, recording what it delivers and logs. */
class Watcher {
  readonly events: LifecycleEvent[] = [];
  readonly logs: DockerRuntimeLogEntry[] = [];
  private unsubscribe: Unsubscribe | undefined;

  constructor(docker: Dockerode) {
    const runtime = new DockerContainerRuntime(docker, { reconnectMinMs: 50, log: (entry) => this.logs.push(entry) });
    this.unsubscribe = runtime.watch((event) => this.events.push(event));
  }

  /** Resolves once `count` event streams have been opened (1 = the first connection). */
  async connected(count = 1): Promise<void> {
    await waitFor(
      `${count} event stream connection(s)`,
      () => (this.logs.filter((entry) => /^Docker event stream (re)?connected$/.test(entry.msg)).length >= count ? true : undefined),
      TIMEOUTS.lifecycleEvent,
    );
  }

  /** Waits for a 'stopped' event of this container and returns how long it took from `since`. */
  async stopped(containerId: string, since: number): Promise<number> {
    await waitFor(
      `a stopped event for ${containerId.slice(0, 12)}`,
      () => (this.events.some((e) => e.type === 'stopped' && e.containerId === containerId) ? true : undefined),
      TIMEOUTS.lifecycleEvent,
    );
    return Date.now() - since;
  }

  resumedCount(): number {
    return this.events.filter((event) => event.type === 'resumed').length;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }
}

describeDocker('DockerContainerRuntime.watch on a real engine', () => {
  let watcher: Watcher;

  beforeAll(async () => {
    watcher = new Watcher(dockerFromEnvironment());
    await watcher.connected();
  });

  afterAll(async () => {
    watcher.stop();
    await removeTestContainers();
  }, TIMEOUTS.engineHook);

  it.each<[string, (fixture: FixtureContainer) => Promise<void>, string[]]>([
    ['docker stop', (fixture) => fixture.stop(), ['died', 'stopped']],
    ['docker kill', (fixture) => fixture.kill(), ['died']],
    ['docker rm -f', (fixture) => fixture.remove(), ['died', 'destroyed']],
  ])('%s produces stopped events for the full id', async (_description, act, reasons) => {
    // Ready means its SIGTERM handler is installed, so docker stop does not wait 10 s.
    const fixture = await startFixtureContainer();
    const started = Date.now();
    await act(fixture);
    expect(await watcher.stopped(fixture.id, started)).toBeLessThan(TIMEOUTS.lifecycleEvent);
    // The follow-up events (stop after die, destroy after die) arrive just after.
    await waitFor(
      `reasons ${reasons.join(', ')}`,
      () => {
        const seen = watcher.events.flatMap((e) => (e.type === 'stopped' && e.containerId === fixture.id ? [e.reason] : []));
        return reasons.every((reason) => seen.includes(reason)) ? seen : undefined;
      },
      TIMEOUTS.lifecycleEvent,
    );
  }, TIMEOUTS.engineTest);

  it('a container whose process exits by itself produces died', async () => {
    const fixture = await startFixtureContainer({ command: ['sleep', '1'] });
    const started = Date.now();
    await watcher.stopped(fixture.id, started);
    expect(watcher.events).toContainEqual({ type: 'stopped', containerId: fixture.id, reason: 'died' });
  }, TIMEOUTS.engineTest);

  it('docker kill -s HUP on a process that survives it is not a stop', async () => {
    const fixture = await startFixtureContainer();
    await fixture.kill('SIGHUP');
    await sleep(TIMEOUTS.quietPeriod);
    expect(watcher.events.filter((e) => e.type === 'stopped' && e.containerId === fixture.id)).toEqual([]);
    expect((await fixture.inspect()).State.Running).toBe(true);
  }, TIMEOUTS.engineTest);
});

// The link to the engine goes through a relay the test can cut or close, which is what a
// daemon restart or a proxy's idle cut does to the event stream, without disturbing the
// shared test daemon.
describeDocker('DockerContainerRuntime.watch when the link to the engine breaks', () => {
  let relay: SocketRelay;
  let watcher: Watcher | undefined;

  beforeEach(async () => {
    relay = await startSocketRelay({ path: engineSocketPath() });
  });

  afterEach(async () => {
    watcher?.stop();
    watcher = undefined;
    await relay.close();
  });

  afterAll(() => removeTestContainers(), TIMEOUTS.engineHook);

  const watchThroughRelay = () => new Watcher(new Dockerode({ socketPath: relay.path, host: undefined }));

  it('reconnects after the stream is cut, says resumed, and delivers events again', async () => {
    watcher = watchThroughRelay();
    await watcher.connected();
    expect(watcher.resumedCount()).toBe(0);

    relay.cut();
    await waitFor('resumed', () => (watcher?.resumedCount() === 1 ? true : undefined), TIMEOUTS.lifecycleEvent);
    await watcher.connected(2);

    const fixture = await startFixtureContainer({ command: ['sleep', '3600'] });
    const started = Date.now();
    await fixture.kill();
    expect(await watcher.stopped(fixture.id, started)).toBeLessThan(TIMEOUTS.lifecycleEvent);
  }, TIMEOUTS.engineTest);

  it('keeps trying while the engine cannot be reached and resumes once it can', async () => {
    watcher = watchThroughRelay();
    await watcher.connected();
    await relay.refuse();
    await waitFor(
      'a few failed attempts',
      () => (watcher && watcher.logs.filter((e) => e.msg.startsWith('could not open')).length >= 3 ? true : undefined),
      TIMEOUTS.lifecycleEvent,
    );
    expect(watcher.resumedCount()).toBe(0);

    await relay.accept();
    await waitFor('resumed', () => (watcher?.resumedCount() === 1 ? true : undefined), TIMEOUTS.lifecycleEvent);
  }, TIMEOUTS.engineTest);

  it('leaves nothing behind once unsubscribed, even while waiting to reconnect', async () => {
    watcher = watchThroughRelay();
    await watcher.connected();
    await relay.refuse();
    await waitFor(
      'a failed attempt',
      () => (watcher?.logs.some((e) => e.retryInMs !== undefined) ? true : undefined),
      TIMEOUTS.lifecycleEvent,
    );
    watcher.stop();
    await relay.accept();
    const accepted = relay.accepted;
    await sleep(500);
    expect(relay.accepted).toBe(accepted);
    expect(watcher.resumedCount()).toBe(0);
  }, TIMEOUTS.engineTest);
});
