import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  RuntimeFailure,
  type ContainerRuntime,
  type DialTarget,
  type LifecycleEvent,
  type RuntimeContainer,
  type Unsubscribe,
} from '../ports/container-runtime.port';

export interface FakeContainerSeed {
  readonly id: string;
  readonly name?: string;
  readonly running?: boolean;
  readonly state?: string;
  readonly owner?: string | null;
  /**
   * Where each container port really listens: dialing port P of this container opens a
   * real TCP connection to this loopback address, so delivery tests move real bytes.
   */
  readonly ports?: Readonly<Record<number, { host: string; port: number }>>;
}

interface FakeContainer {
  id: string;
  name: string;
  running: boolean;
  paused: boolean;
  state: string;
  owner: string | null;
  incarnation: number;
  ports: Map<number, { host: string; port: number }>;
}

/**
 * An in-memory ContainerRuntime with seedable containers and injectable failures, for
 * tests of everything above the runtime port. Not a mock: it keeps state and behaves.
 */
export class FakeContainerRuntime implements ContainerRuntime {
  private readonly containers = new Map<string, FakeContainer>();
  private readonly listeners = new Set<(event: LifecycleEvent) => void>();
  private unavailable = false;
  private findGate: (() => Promise<void>) | undefined;
  /** How many times each method was called, for assertions on caching and retries. */
  readonly calls = { find: 0, dial: 0, ping: 0 };

  constructor(seeds: readonly FakeContainerSeed[] = []) {
    for (const seed of seeds) this.add(seed);
  }

  add(seed: FakeContainerSeed): void {
    const running = seed.running ?? true;
    this.containers.set(seed.id, {
      id: seed.id,
      name: seed.name ?? seed.id,
      running,
      paused: false,
      state: seed.state ?? (running ? 'running' : 'exited'),
      owner: seed.owner ?? null,
      incarnation: 1,
      ports: new Map(Object.entries(seed.ports ?? {}).map(([k, v]) => [Number(k), v])),
    });
  }

  /** Points a container port at a real loopback listener. */
  listen(containerId: string, port: number, address: { host: string; port: number }): void {
    this.require(containerId).ports.set(port, address);
  }

  /** Stops the container and tells watchers, like `docker stop`. */
  stop(containerId: string, reason = 'stopped'): void {
    const container = this.require(containerId);
    container.running = false;
    container.paused = false;
    container.state = 'exited';
    this.emit({ type: 'stopped', containerId, reason });
  }

  /** Stops the container without telling anyone: an event lost in a stream gap. */
  stopSilently(containerId: string): void {
    const container = this.require(containerId);
    container.running = false;
    container.paused = false;
    container.state = 'exited';
  }

  /** Freezes it, like `docker pause`: same life, serves nothing, no event. */
  pause(containerId: string): void {
    const container = this.require(containerId);
    container.running = false;
    container.paused = true;
    container.state = 'paused';
  }

  unpause(containerId: string): void {
    const container = this.require(containerId);
    container.running = true;
    container.paused = false;
    container.state = 'running';
  }

  /** Starts it again: a new life, so forwards of the old one must not dial it. */
  start(containerId: string): void {
    const container = this.require(containerId);
    container.running = true;
    container.paused = false;
    container.state = 'running';
    container.incarnation += 1;
  }

  remove(containerId: string): void {
    this.containers.delete(containerId);
    this.emit({ type: 'stopped', containerId, reason: 'destroyed' });
  }

  /** Simulates the event stream coming back after a gap. */
  resume(): void {
    this.emit({ type: 'resumed' });
  }

  setUnavailable(unavailable: boolean): void {
    this.unavailable = unavailable;
  }

  /**
   * A slow runtime: every find from now on waits for `answer()` before it answers (as an
   * engine or API server that takes seconds would); `fast()` answers them and every
   * later one at once again. `inFlight` is how many wait now, `most` the most that ever
   * waited at once.
   */
  slowFinds(): { answer: () => void; fast: () => void; readonly inFlight: number; readonly most: number } {
    const waiting: (() => void)[] = [];
    const state = {
      inFlight: 0,
      most: 0,
      answer: () => waiting.splice(0).forEach((resolve) => resolve()),
      fast: () => {
        this.findGate = undefined;
        state.answer();
      },
    };
    this.findGate = async () => {
      state.inFlight += 1;
      state.most = Math.max(state.most, state.inFlight);
      await new Promise<void>((resolve) => waiting.push(resolve));
      state.inFlight -= 1;
    };
    return state;
  }

  async find(ref: string): Promise<RuntimeContainer | null> {
    this.calls.find += 1;
    await this.findGate?.();
    this.failIfUnavailable();
    const container =
      this.containers.get(ref) ??
      [...this.containers.values()].find((c) => c.name === ref || (ref.length >= 4 && c.id.startsWith(ref)));
    if (container === undefined) return null;
    return {
      id: container.id,
      name: container.name,
      running: container.running,
      paused: container.paused,
      state: container.state,
      incarnation: String(container.incarnation),
      owner: container.owner,
    };
  }

  async dial(target: DialTarget): Promise<Duplex> {
    this.calls.dial += 1;
    this.failIfUnavailable();
    const container = this.containers.get(target.containerId);
    if (container === undefined || String(container.incarnation) !== target.incarnation) {
      throw new RuntimeFailure('gone', `container ${target.containerId} is not running in that life`);
    }
    if (container.paused) throw new RuntimeFailure('paused', `container ${target.containerId} is paused`);
    if (!container.running) throw new RuntimeFailure('gone', `container ${target.containerId} is ${container.state}`);
    const address = container.ports.get(target.port);
    if (address === undefined) {
      throw new RuntimeFailure('refused', `nothing listens on port ${target.port}`);
    }
    return new Promise<Socket>((resolve, reject) => {
      const socket = connect(address.port, address.host);
      // Like the real adapters: no Nagle delay on small writes.
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.removeListener('error', onError);
        resolve(socket);
      });
      const onError = (error: Error) => reject(new RuntimeFailure('refused', error.message, { cause: error }));
      socket.once('error', onError);
    });
  }

  watch(listener: (event: LifecycleEvent) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async ping(): Promise<void> {
    this.calls.ping += 1;
    this.failIfUnavailable();
  }

  private emit(event: LifecycleEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }

  private failIfUnavailable(): void {
    if (this.unavailable) throw new RuntimeFailure('unavailable', 'fake runtime set unavailable');
  }

  private require(containerId: string): FakeContainer {
    const container = this.containers.get(containerId);
    if (container === undefined) throw new Error(`fake runtime has no container ${containerId}`);
    return container;
  }
}
