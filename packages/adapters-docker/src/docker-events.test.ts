import type { LifecycleEvent } from '@porthole/core';
import Dockerode from 'dockerode';
import { rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerContainerRuntime } from './docker-container-runtime';
import { LineSplitter, toLifecycleEvent } from './docker-events';
import type { DockerRuntimeLogEntry } from './docker-runtime-options';

const ID = 'a'.repeat(64);

describe('LineSplitter', () => {
  it.each<[string, (string | Buffer)[], string[]]>([
    ['one line per chunk', ['{"a":1}\n', '{"b":2}\n'], ['{"a":1}', '{"b":2}']],
    ['several lines in one chunk', ['{"a":1}\n{"b":2}\n'], ['{"a":1}', '{"b":2}']],
    ['a line split across chunks', ['{"a"', ':1}\n{"b', '":2}\n'], ['{"a":1}', '{"b":2}']],
    ['a character split across chunks', [Buffer.from([0x22, 0xc3]), Buffer.from([0xa9, 0x22, 0x0a])], ['"é"']],
    ['CRLF line ends and blank lines', ['{"a":1}\r\n\r\n\n{"b":2}\r\n'], ['{"a":1}', '{"b":2}']],
    ['an unfinished last line is kept', ['{"a":1}\n{"b":'], ['{"a":1}']],
  ])('%s', (_description, chunks, lines) => {
    const splitter = new LineSplitter();
    expect(chunks.flatMap((chunk) => splitter.push(chunk))).toEqual(lines);
  });

  it('refuses a line that never ends', () => {
    const splitter = new LineSplitter();
    expect(() => splitter.push('x'.repeat(LineSplitter.MAX_LINE + 1))).toThrow(/longer than/);
  });
});

describe('toLifecycleEvent', () => {
  const event = (fields: Record<string, unknown>) => ({ Type: 'container', Actor: { ID, Attributes: {} }, ...fields });

  it.each<[string, unknown, LifecycleEvent | null]>([
    ['die', event({ Action: 'die' }), { type: 'stopped', containerId: ID, reason: 'died' }],
    ['stop', event({ Action: 'stop' }), { type: 'stopped', containerId: ID, reason: 'stopped' }],
    ['destroy', event({ Action: 'destroy' }), { type: 'stopped', containerId: ID, reason: 'destroyed' }],
    ['kill: a signal sent, not a stop', event({ Action: 'kill' }), null],
    ['start', event({ Action: 'start' }), null],
    ['pause', event({ Action: 'pause' }), null],
    ['an exec event with a die-like prefix', event({ Action: 'exec_die' }), null],
    ['a network event', { Type: 'network', Action: 'destroy', Actor: { ID } }, null],
    ['the old format (status, id)', { status: 'die', id: ID }, { type: 'stopped', containerId: ID, reason: 'died' }],
    ['no id at all', { Type: 'container', Action: 'die' }, null],
    ['an action named like an Object property', event({ Action: 'constructor' }), null],
    ['not an object', 'die', null],
  ])('%s', (_description, raw, lifecycle) => {
    expect(toLifecycleEvent(raw)).toEqual(lifecycle);
  });
});

/**
 * A stand-in engine that serves only GET /events, so the watch's wire behaviour (chunking,
 * reconnects, backoff) can be driven precisely. The real engine is in the integration tests.
 */
class FakeEventsEngine {
  readonly socketPath = path.join(tmpdir(), `porthole-events-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);
  /** Every request for the event stream, in order. */
  readonly requests: string[] = [];
  /**
   * What the next requests for the event stream get: a live stream, a 500, no answer at
   * all, or a 200 that ends at once, after `dropAfter` if set (an engine, or something
   * posing as one, that is broken).
   */
  mode: 'stream' | 'fail' | 'hang' | 'drop' = 'stream';
  dropAfter = '';
  /** The answer to `GET /containers/json`, and how long it takes. */
  containers: unknown = [];
  listDelayMs = 0;
  lists = 0;
  private readonly streams = new Set<http.ServerResponse>();
  private readonly server = http.createServer((req, res) => {
    if (req.url?.startsWith('/containers/json')) {
      this.lists += 1;
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.containers)), this.listDelayMs);
      return;
    }
    this.requests.push(req.url ?? '');
    if (this.mode === 'fail') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"engine trouble"}');
      return;
    }
    if (this.mode === 'hang') return;
    res.writeHead(200, { 'content-type': 'application/json' });
    if (this.mode === 'drop') {
      res.end(this.dropAfter);
      return;
    }
    res.flushHeaders();
    this.streams.add(res);
    res.on('close', () => this.streams.delete(res));
  });

  get open(): number {
    return this.streams.size;
  }

  async start(): Promise<void> {
    rmSync(this.socketPath, { force: true });
    await new Promise<void>((resolve) => this.server.listen(this.socketPath, resolve));
  }

  write(chunk: string | Buffer): void {
    for (const res of this.streams) res.write(chunk);
  }

  /** Ends every open stream, as a restarting daemon does. */
  endStreams(): void {
    for (const res of this.streams) res.end();
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('the event watch against a stand-in engine', () => {
  let engine: FakeEventsEngine;
  let events: LifecycleEvent[];
  let logs: DockerRuntimeLogEntry[];
  let unsubscribe: (() => void) | undefined;

  const runtime = (options: { reconnectMinMs?: number; reconnectMaxMs?: number; requestTimeoutMs?: number } = {}) =>
    new DockerContainerRuntime(new Dockerode({ socketPath: engine.socketPath, host: undefined }), {
      reconnectMinMs: 20,
      reconnectMaxMs: 80,
      ...options,
      log: (entry) => logs.push(entry),
    });
  const watch = (
    target = runtime(),
    listener: (event: LifecycleEvent) => void = (event) => {
      events.push(event);
    },
  ) => {
    unsubscribe = target.watch(listener);
  };
  const until = async (what: string, check: () => boolean, timeoutMs = 2000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  const line = (action: string, id = ID, name = 'web') =>
    `${JSON.stringify({ Type: 'container', Action: action, Actor: { ID: id, Attributes: { name } } })}\n`;

  beforeEach(async () => {
    engine = new FakeEventsEngine();
    await engine.start();
    events = [];
    logs = [];
    unsubscribe = undefined;
  });

  afterEach(async () => {
    unsubscribe?.();
    await engine.stop();
  });

  it('asks only for container stops and delivers them whatever the chunking', async () => {
    watch();
    await until('the stream to open', () => engine.open === 1);
    const filters = JSON.parse(new URL(engine.requests[0] ?? '', 'http://engine').searchParams.get('filters') ?? '{}');
    expect(filters).toEqual({ type: ['container'], event: ['die', 'stop', 'destroy'] });

    const other = 'b'.repeat(64);
    const all = line('die') + line('start', other) + 'not json\n' + line('destroy', other);
    engine.write(all.slice(0, 30));
    engine.write(all.slice(30, 100));
    engine.write(all.slice(100));
    await until('two events', () => events.length === 2);
    expect(events).toEqual([
      { type: 'stopped', containerId: ID, reason: 'died' },
      { type: 'stopped', containerId: other, reason: 'destroyed' },
    ]);
    expect(logs.map((entry) => entry.msg)).toContain('ignored a malformed Docker event: Unexpected token \'o\', "not json" is not valid JSON');
  });

  it('reopens an ended stream and says resumed, but not on the first connection', async () => {
    watch();
    await until('the stream to open', () => engine.open === 1);
    expect(events).toEqual([]);
    engine.endStreams();
    await until('resumed', () => events.length === 1);
    expect(events).toEqual([{ type: 'resumed' }]);
    expect(engine.requests).toHaveLength(2);
    engine.write(line('stop'));
    await until('the stop after resuming', () => events.length === 2);
    expect(events[1]).toEqual({ type: 'stopped', containerId: ID, reason: 'stopped' });
  });

  const delays = () => logs.flatMap((entry) => (entry.retryInMs === undefined ? [] : [entry.retryInMs]));

  it('backs off exponentially while the engine fails, and starts over once a stream delivered a stop', async () => {
    engine.mode = 'fail';
    watch();
    await until('five attempts', () => engine.requests.length >= 5);
    expect(delays().slice(0, 4)).toEqual([20, 40, 80, 80]);

    engine.mode = 'stream';
    await until('resumed', () => events.length === 1);
    expect(events).toEqual([{ type: 'resumed' }]);
    engine.write(line('die'));
    await until('the stop', () => events.length === 2);
    const before = delays().length;
    engine.mode = 'fail';
    engine.endStreams();
    await until('the next retry', () => delays().length > before);
    expect(delays()[before]).toBe(20);
  });

  it('starts over once a stream stayed open for the longest delay', async () => {
    watch();
    await until('the stream to open', () => engine.open === 1);
    engine.mode = 'drop';
    engine.endStreams();
    await until('four retries', () => delays().length >= 4);
    expect(delays().slice(0, 4)).toEqual([20, 40, 80, 80]);

    engine.mode = 'stream';
    await until('a stream to open', () => engine.open === 1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const before = delays().length;
    engine.endStreams();
    await until('the next retry', () => delays().length > before);
    expect(delays()[before]).toBe(20);
  });

  // The incident: an engine answering 200 and then garbage, or hanging up at once, was
  // reopened every reconnectMinMs forever, with a full reconcile ('resumed') each time.
  it.each<[string, string]>([
    ['hangs up at once', ''],
    ['sends garbage and hangs up', 'garbage\n{"not":"an event"}\n\u0000\u0001'],
  ])('backs off, and says resumed no more often, when every stream %s', async (_description, garbage) => {
    engine.mode = 'drop';
    engine.dropAfter = garbage;
    watch(runtime({ reconnectMinMs: 20, reconnectMaxMs: 160 }));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    unsubscribe?.();
    // 20 + 40 + 80 + 160 + 160 + ... ms: about 9 attempts in a second, where a backoff that
    // starts over on every 200 makes 30 or more.
    expect(engine.requests.length).toBeGreaterThanOrEqual(5);
    expect(engine.requests.length).toBeLessThanOrEqual(11);
    expect(delays().slice(0, 5)).toEqual([20, 40, 80, 160, 160]);
    const resumed = events.filter((event) => event.type === 'resumed').length;
    expect(resumed).toBeLessThanOrEqual(engine.requests.length - 1);
    expect(resumed).toBeGreaterThanOrEqual(engine.requests.length - 2);
  });

  describe('containers that joined the network namespace of one that died', () => {
    const sidecar = 'c'.repeat(64);
    const shares = (id: string, ref: string) => ({ Id: id, HostConfig: { NetworkMode: `container:${ref}` } });

    it('are announced as stopped too, found by id or by name, with one list per death', async () => {
      engine.containers = [
        shares(sidecar, ID),
        shares('d'.repeat(64), 'web'),
        shares('e'.repeat(64), 'f'.repeat(64)),
        { Id: 'x', HostConfig: { NetworkMode: 'bridge' } },
      ];
      watch();
      await until('the stream to open', () => engine.open === 1);
      engine.write(line('die'));
      await until('three events', () => events.length === 3);
      expect(events).toEqual([
        { type: 'stopped', containerId: ID, reason: 'died' },
        { type: 'stopped', containerId: sidecar, reason: 'lost its network' },
        { type: 'stopped', containerId: 'd'.repeat(64), reason: 'lost its network' },
      ]);
      engine.write(line('stop') + line('destroy'));
      await until('the stop and the destroy', () => events.length === 5);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(engine.lists).toBe(1);
    });

    it('cost one list for a burst of deaths, plus one for those during it', async () => {
      engine.containers = [shares(sidecar, 'f'.repeat(64))];
      engine.listDelayMs = 100;
      watch();
      await until('the stream to open', () => engine.open === 1);
      engine.write(line('die', 'e'.repeat(64), 'first'));
      await until('the first list', () => engine.lists === 1);
      engine.write(['1', '2', '3', '4', 'f'].map((c) => line('die', c.repeat(64), `n${c}`)).join(''));
      await until('the sidecar of the last one', () => events.some((e) => e.type === 'stopped' && e.containerId === sidecar));
      expect(engine.lists).toBe(2);
      expect(events.filter((e) => e.type === 'stopped' && e.reason === 'lost its network')).toHaveLength(1);
    });

    it('are left to dial and reconcile when the engine answers the list with something else', async () => {
      engine.containers = { message: 'not a list' };
      watch();
      await until('the stream to open', () => engine.open === 1);
      engine.write(line('die'));
      await until('the list', () => engine.lists === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events).toEqual([{ type: 'stopped', containerId: ID, reason: 'died' }]);
    });

    it('are not looked for once unsubscribed', async () => {
      engine.containers = [shares(sidecar, ID)];
      engine.listDelayMs = 50;
      watch();
      await until('the stream to open', () => engine.open === 1);
      engine.write(line('die'));
      await until('the list', () => engine.lists === 1);
      unsubscribe?.();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(events).toEqual([{ type: 'stopped', containerId: ID, reason: 'died' }]);
    });
  });

  it('gives up on an engine that never answers and tries again', async () => {
    engine.mode = 'hang';
    watch(runtime({ requestTimeoutMs: 100 }));
    await until('a second attempt', () => engine.requests.length >= 2);
    expect(logs.map((entry) => entry.msg).join('\n')).toMatch(/could not open the Docker event stream/);
  });

  it('stops for good when unsubscribed, even while waiting to reconnect', async () => {
    engine.mode = 'fail';
    watch(runtime({ reconnectMinMs: 50, reconnectMaxMs: 50 }));
    await until('a first failure', () => engine.requests.length >= 1 && logs.some((entry) => entry.retryInMs !== undefined));
    unsubscribe?.();
    const attempts = engine.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(engine.requests).toHaveLength(attempts);
  });

  it('closes the open stream when unsubscribed', async () => {
    watch();
    await until('the stream to open', () => engine.open === 1);
    unsubscribe?.();
    await until('the stream to close', () => engine.open === 0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(engine.requests).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('keeps delivering after a listener throws', async () => {
    const seen: LifecycleEvent[] = [];
    watch(runtime(), (event) => {
      seen.push(event);
      if (seen.length === 1) throw new Error('listener bug');
    });
    await until('the stream to open', () => engine.open === 1);
    engine.write(line('die') + line('destroy'));
    await until('both events', () => seen.length === 2);
    expect(logs.some((entry) => entry.msg === 'a lifecycle listener threw: listener bug')).toBe(true);
    expect(engine.requests).toHaveLength(1);
  });
});
