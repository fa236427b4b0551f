/**
 * The behaviour every ContainerRuntime owes the core, whatever runs the containers. One
 * suite, run against the in-memory fake, the real Docker engine and the Kubernetes adapter
 * (real client-node against the test API server), so that the fake cannot drift from the
 * real runtimes and a new runtime has a definition of done.
 */
import { randomBytes } from 'node:crypto';
import type { ContainerRuntime, LifecycleEvent } from '../../packages/core/src/index';
import { echo, failureOf } from '../support/runtime-checks';

export interface ContractContainer {
  /** A name to look it up by (a container name, a pod name or label). */
  readonly ref: string;
  /** The canonical id `find` must report for it. */
  readonly id: string;
  /** A port with a TCP echo behind it. */
  readonly echoPort: number;
  /** A port nothing listens on. */
  readonly closedPort: number;
}

export interface RuntimeHarness {
  readonly runtime: ContainerRuntime;
  /** A running container with a TCP echo. */
  start(): Promise<ContractContainer>;
  /** A container that exists but does not run (created, pending). */
  startNotRunning(): Promise<ContractContainer>;
  /** Its life ends (docker stop; a pod that finished). */
  stop(container: ContractContainer): Promise<void>;
  /** It is gone altogether (docker rm -f; the pod deleted). */
  remove(container: ContractContainer): Promise<void>;
  /** Ends the runtime's event stream or watch once, as a restart or an idle cut would. */
  cutEventStream(): Promise<void>;
  close(): Promise<void>;
}

export interface ContractTimeouts {
  /** A stop or removal must be reported within this. */
  readonly lifecycleMs: number;
  /** Per test. */
  readonly testMs: number;
  /** For the harness's setup. */
  readonly hookMs: number;
}

const DEFAULT_TIMEOUTS: ContractTimeouts = { lifecycleMs: 2000, testMs: 30_000, hookMs: 60_000 };

/** Collects a runtime's lifecycle events. */
class Events {
  readonly seen: { event: LifecycleEvent; at: number }[] = [];
  private readonly unsubscribe: () => void;

  constructor(runtime: ContainerRuntime) {
    this.unsubscribe = runtime.watch((event) => this.seen.push({ event, at: Date.now() }));
  }

  async waitFor(what: string, match: (event: LifecycleEvent) => boolean, since: number, ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.seen.find(({ event, at }) => at >= since && match(event));
      if (hit !== undefined) return hit.at - since;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; saw ${JSON.stringify(this.seen.map((s) => s.event))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  stop(): void {
    this.unsubscribe();
  }
}

export function describeRuntimeContract(
  name: string,
  makeHarness: () => Promise<RuntimeHarness>,
  describeFn: jest.Describe = describe,
  timeouts: ContractTimeouts = DEFAULT_TIMEOUTS,
): void {
  describeFn(`ContainerRuntime contract: ${name}`, () => {
    let harness: RuntimeHarness;
    let events: Events | undefined;

    beforeAll(async () => {
      harness = await makeHarness();
    }, timeouts.hookMs);

    afterEach(() => {
      events?.stop();
      events = undefined;
    });

    afterAll(async () => {
      await harness?.close();
    }, timeouts.hookMs);

    const stoppedEvent = (id: string) => (event: LifecycleEvent) => event.type === 'stopped' && event.containerId === id;

    it('finds a running container by its name, reporting its canonical id, and the same by that id', async () => {
      const container = await harness.start();
      const byRef = await harness.runtime.find(container.ref);
      expect(byRef).toMatchObject({ id: container.id, running: true, paused: false });
      expect(byRef?.incarnation).not.toBe('');
      const byId = await harness.runtime.find(container.id);
      expect(byId).toEqual(byRef);
    }, timeouts.testMs);

    it('answers null for a container that does not exist', async () => {
      expect(await harness.runtime.find(`no-such-${randomBytes(4).toString('hex')}`)).toBeNull();
    }, timeouts.testMs);

    it('reports a container that exists but does not run as not running', async () => {
      const container = await harness.startNotRunning();
      expect(await harness.runtime.find(container.ref)).toMatchObject({ id: container.id, running: false });
    }, timeouts.testMs);

    it('dials a port and carries 256 KiB byte for byte', async () => {
      const container = await harness.start();
      const found = await harness.runtime.find(container.ref);
      const socket = await harness.runtime.dial({ containerId: container.id, incarnation: found?.incarnation ?? '', port: container.echoPort });
      const payload = randomBytes(256 * 1024);
      expect((await echo(socket, payload)).equals(payload)).toBe(true);
    }, timeouts.testMs);

    it('refuses a port nothing listens on', async () => {
      const container = await harness.start();
      const found = await harness.runtime.find(container.ref);
      const failure = await failureOf(harness.runtime.dial({ containerId: container.id, incarnation: found?.incarnation ?? '', port: container.closedPort }));
      expect(failure.reason).toBe('refused');
    }, timeouts.testMs);

    it('answers gone for another life than the one asked for', async () => {
      const container = await harness.start();
      const failure = await failureOf(harness.runtime.dial({ containerId: container.id, incarnation: 'an-earlier-life', port: container.echoPort }));
      expect(failure.reason).toBe('gone');
    }, timeouts.testMs);

    it(`reports a stop within ${timeouts.lifecycleMs} ms, and then refuses to dial it`, async () => {
      const container = await harness.start();
      const found = await harness.runtime.find(container.ref);
      events = new Events(harness.runtime);
      await new Promise((r) => setTimeout(r, 200)); // the watch is open
      const since = Date.now();
      await harness.stop(container);
      expect(await events.waitFor('stopped', stoppedEvent(container.id), since, timeouts.lifecycleMs)).toBeLessThan(timeouts.lifecycleMs);
      expect(await harness.runtime.find(container.ref)).not.toMatchObject({ running: true });
      const failure = await failureOf(harness.runtime.dial({ containerId: container.id, incarnation: found?.incarnation ?? '', port: container.echoPort }));
      expect(failure.reason).toBe('gone');
    }, timeouts.testMs);

    it(`reports a removal within ${timeouts.lifecycleMs} ms`, async () => {
      const container = await harness.start();
      events = new Events(harness.runtime);
      await new Promise((r) => setTimeout(r, 200));
      const since = Date.now();
      await harness.remove(container);
      expect(await events.waitFor('stopped', stoppedEvent(container.id), since, timeouts.lifecycleMs)).toBeLessThan(timeouts.lifecycleMs);
      expect(await harness.runtime.find(container.ref)).toBeNull();
    }, timeouts.testMs);

    it('survives a cut event stream: says resumed, then reports stops again', async () => {
      events = new Events(harness.runtime);
      await new Promise((r) => setTimeout(r, 200));
      const cutAt = Date.now();
      await harness.cutEventStream();
      await events.waitFor('resumed', (event) => event.type === 'resumed', cutAt, timeouts.lifecycleMs * 3);
      const container = await harness.start();
      const since = Date.now();
      await harness.stop(container);
      expect(await events.waitFor('stopped', stoppedEvent(container.id), since, timeouts.lifecycleMs)).toBeLessThan(timeouts.lifecycleMs);
    }, timeouts.testMs);

    it('answers a ping', async () => {
      await expect(harness.runtime.ping()).resolves.toBeUndefined();
    }, timeouts.testMs);
  });
}
