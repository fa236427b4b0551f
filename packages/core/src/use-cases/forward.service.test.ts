import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { InMemoryForwardStore } from '../adapters/in-memory-forward-store';
import { RangePortAllocator } from '../adapters/range-port-allocator';
import type { DomainErrorCode } from '../domain/errors';
import type { Principal } from '../domain/principal';
import type { LocalPortAllocator } from '../ports/local-port-allocator.port';
import { CryptoIdGenerator } from '../support/crypto-id-generator';
import { FakeContainerRuntime } from '../testing/fake-container-runtime';
import { FixedClock } from '../testing/fixed-clock';
import { errorCodeOf } from '../testing/error-code-of';
import { RecordingPublisher } from '../testing/recording-publisher';
import { ForwardService, type CreateForwardInput } from './forward.service';

const admin: Principal = { id: 'admin', role: 'admin' };
const alice: Principal = { id: 'alice', role: 'user' };
const RUNNING = 'c0ffee000000000000000000000000000000000000000000000000000000aaaa';

function setUp(maxForwardsPerContainer = 10, wrapPorts: (ports: RangePortAllocator) => LocalPortAllocator = (p) => p) {
  const runtime = new FakeContainerRuntime([
    { id: RUNNING, name: 'web', owner: 'alice' },
    { id: 'stopped0000', name: 'stopped', running: false, state: 'exited' },
    { id: 'created0000', name: 'fresh', running: false, state: 'created' },
    { id: 'bobs000000', name: 'bobs', owner: 'bob' },
  ]);
  const store = new InMemoryForwardStore();
  const localPorts = new RangePortAllocator({ first: 20000, last: 20099 });
  const events = new RecordingPublisher();
  const clock = new FixedClock();
  const service = new ForwardService({
    runtime,
    store,
    localPorts: wrapPorts(localPorts),
    ids: new CryptoIdGenerator(),
    clock,
    events,
    policy: { maxForwardsPerContainer },
  });
  return { runtime, store, localPorts, events, clock, service };
}

const codeOf = errorCodeOf;

describe('ForwardService.createForward', () => {
  it('creates a forward with the canonical container id, a local port and a timestamp', async () => {
    const { service, events, clock } = setUp();
    const forward = await service.createForward(admin, 'web', { containerPort: 8080, name: ' Web Server ' });
    expect(forward).toMatchObject({
      containerId: RUNNING,
      containerPort: 8080,
      localPort: 20000,
      name: 'Web Server',
      owner: 'alice',
      createdAt: clock.now(),
    });
    expect(forward.id).toMatch(/^pf_[0-9a-z]{24}$/);
    expect(events.events).toEqual([{ type: 'forward_created', forward, principal: admin }]);
  });

  it('treats the full id, a short id and the name as the same container', async () => {
    const { service } = setUp();
    await service.createForward(admin, RUNNING, { containerPort: 80 });
    expect(await codeOf(service.createForward(admin, RUNNING.slice(0, 12), { containerPort: 80 }))).toBe(
      'port_already_forwarded',
    );
    expect(await codeOf(service.createForward(admin, 'web', { containerPort: 80 }))).toBe('port_already_forwarded');
  });

  it.each<[string, Principal, string, CreateForwardInput, DomainErrorCode | 'none']>([
    ['a valid request', admin, 'web', { containerPort: 3000 }, 'none'],
    ['port 0', admin, 'web', { containerPort: 0 }, 'invalid_port'],
    ['port 65536', admin, 'web', { containerPort: 65536 }, 'invalid_port'],
    ['a string port', admin, 'web', { containerPort: '8080' }, 'invalid_port'],
    ['a bad local port', admin, 'web', { containerPort: 3000, localPort: 80.5 }, 'invalid_port'],
    ['a name too long', admin, 'web', { containerPort: 3000, name: 'n'.repeat(101) }, 'invalid_request'],
    ['a bad port on an unknown container (400 before 404)', admin, 'nope', { containerPort: -1 }, 'invalid_port'],
    ['an unknown container', admin, 'nope', { containerPort: 3000 }, 'container_not_found'],
    ['a stopped container', admin, 'stopped', { containerPort: 3000 }, 'container_not_running'],
    ['a created, never started container', admin, 'fresh', { containerPort: 3000 }, 'container_not_running'],
    ['a user on their own container', alice, 'web', { containerPort: 3000 }, 'none'],
    ["a user on someone else's container", alice, 'bobs', { containerPort: 3000 }, 'container_not_found'],
    ['a user on an unlabelled container', alice, 'stopped', { containerPort: 3000 }, 'container_not_found'],
    ['a local port outside the range', admin, 'web', { containerPort: 3000, localPort: 8080 }, 'local_port_unavailable'],
  ])('%s → %s', async (_description, principal, ref, input, expected) => {
    const { service } = setUp();
    expect(await codeOf(service.createForward(principal, ref, input))).toBe(expected);
  });

  it('refuses a duplicate port with 403-class port_already_forwarded', async () => {
    const { service } = setUp();
    await service.createForward(admin, 'web', { containerPort: 8080 });
    expect(await codeOf(service.createForward(admin, 'web', { containerPort: 8080 }))).toBe('port_already_forwarded');
  });

  it('refuses the eleventh forward and keeps the ten', async () => {
    const { service } = setUp();
    for (let port = 1; port <= 10; port += 1) await service.createForward(admin, 'web', { containerPort: port });
    expect(await codeOf(service.createForward(admin, 'web', { containerPort: 11 }))).toBe('limit_exceeded');
    expect(await service.listForwards(admin, 'web')).toHaveLength(10);
  });

  it('refuses a local port already given to another forward, and frees it on failure', async () => {
    const { service, localPorts } = setUp();
    await service.createForward(admin, 'web', { containerPort: 1, localPort: 20050 });
    expect(await codeOf(service.createForward(admin, 'web', { containerPort: 2, localPort: 20050 }))).toBe(
      'local_port_unavailable',
    );
    expect(await codeOf(service.createForward(admin, 'web', { containerPort: 1, localPort: 20051 }))).toBe(
      'port_already_forwarded',
    );
    expect(localPorts.has(20051)).toBe(false);
  });

  it('holds the rules under 30 concurrent creates for 15 ports: exactly 10, no duplicates', async () => {
    const { service } = setUp();
    const attempts = Array.from({ length: 30 }, (_, i) =>
      codeOf(service.createForward(admin, i % 2 === 0 ? 'web' : RUNNING, { containerPort: 9000 + (i % 15) })),
    );
    const codes = await Promise.all(attempts);
    const forwards = await service.listForwards(admin, 'web');
    expect(forwards).toHaveLength(10);
    expect(new Set(forwards.map((f) => f.containerPort)).size).toBe(10);
    expect(new Set(forwards.map((f) => f.localPort)).size).toBe(10);
    expect(codes.filter((code) => code === 'none')).toHaveLength(10);
    expect(codes.filter((code) => code !== 'none').every((code) => code === 'port_already_forwarded' || code === 'limit_exceeded')).toBe(true);
  });

  it('maps an unreachable runtime to runtime_unavailable', async () => {
    const { service, runtime } = setUp();
    runtime.setUnavailable(true);
    expect(await codeOf(service.createForward(admin, 'web', { containerPort: 80 }))).toBe('runtime_unavailable');
  });

  it('does not keep a forward whose container stopped while it was being created', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    // Holds the create inside the critical section until the stop has been handled.
    const { service, runtime, store } = setUp(10, (ports) => ({
      reserve: async (id, requested) => {
        await gate;
        return ports.reserve(id, requested);
      },
      restore: (id, port) => ports.restore(id, port),
      release: (port) => ports.release(port),
    }));
    const creating = service.createForward(admin, 'web', { containerPort: 80 });
    await new Promise((resolve) => setImmediate(resolve));
    runtime.stop(RUNNING);
    await service.onContainerStopped(RUNNING, 'died');
    open();
    expect(await codeOf(creating)).toBe('container_not_running');
    expect(await store.listAll()).toHaveLength(0);
  });
});

describe('ForwardService list, get, delete, resolve', () => {
  it('shows no forward of an earlier life of the container (restarted before its event came)', async () => {
    const { service, runtime } = setUp();
    const old = await service.createForward(admin, 'web', { containerPort: 1 });
    runtime.stopSilently(RUNNING);
    runtime.start(RUNNING);
    expect(await service.listForwards(admin, 'web')).toEqual([]);
    expect(await codeOf(service.getForward(admin, 'web', old.id))).toBe('forward_not_found');
    expect(await codeOf(service.deleteForward(admin, 'web', old.id))).toBe('forward_not_found');
  });

  it('ends the forwards of an earlier life when one is made in the new life: same port, own cap', async () => {
    const { service, runtime, store, events } = setUp(1);
    const old = await service.createForward(admin, 'web', { containerPort: 1 });
    runtime.stopSilently(RUNNING);
    runtime.start(RUNNING);
    const current = await service.createForward(admin, 'web', { containerPort: 1 });
    expect(await store.listAll()).toEqual([current]);
    expect(events.events).toContainEqual({ type: 'forward_removed', forward: old, reason: 'container_stopped', detail: 'an earlier life of the container' });
  });

  it('lists oldest first, only that container', async () => {
    const { service } = setUp();
    const a = await service.createForward(admin, 'web', { containerPort: 1 });
    await service.createForward(admin, 'bobs', { containerPort: 1 });
    const b = await service.createForward(admin, 'web', { containerPort: 2 });
    expect((await service.listForwards(admin, 'web')).map((f) => f.id)).toEqual([a.id, b.id]);
  });

  it.each<[string, Principal, string, 'own' | 'other' | 'garbage', DomainErrorCode | 'none']>([
    ['admin, right container', admin, 'web', 'own', 'none'],
    ['owner, right container', alice, 'web', 'own', 'none'],
    ['admin, forward of another container', admin, 'web', 'other', 'forward_not_found'],
    ['admin, not an id at all', admin, 'web', 'garbage', 'forward_not_found'],
    ["user, someone else's container", alice, 'bobs', 'other', 'container_not_found'],
  ])('get: %s → %s', async (_description, principal, ref, which, expected) => {
    const { service } = setUp();
    const own = await service.createForward(admin, 'web', { containerPort: 1 });
    const other = await service.createForward(admin, 'bobs', { containerPort: 1 });
    const id = which === 'own' ? own.id : which === 'other' ? other.id : '../etc';
    expect(await codeOf(service.getForward(principal, ref, id))).toBe(expected);
  });

  it('deletes once, frees the local port, announces it; a second delete is not found', async () => {
    const { service, events, localPorts } = setUp();
    const forward = await service.createForward(admin, 'web', { containerPort: 1 });
    await service.deleteForward(admin, 'web', forward.id);
    expect(localPorts.has(forward.localPort)).toBe(false);
    expect(events.events.at(-1)).toEqual({ type: 'forward_removed', forward, reason: 'deleted', detail: 'deleted by admin', principal: admin });
    expect(await codeOf(service.deleteForward(admin, 'web', forward.id))).toBe('forward_not_found');
  });

  it('resolves a forward by id for its owner and admins only', async () => {
    const { service } = setUp();
    const alices = await service.createForward(admin, 'web', { containerPort: 1 });
    const bobs = await service.createForward(admin, 'bobs', { containerPort: 1 });
    expect((await service.resolveForward(alice, alices.id)).id).toBe(alices.id);
    expect((await service.resolveForward(admin, bobs.id)).id).toBe(bobs.id);
    expect(await codeOf(service.resolveForward(alice, bobs.id))).toBe('forward_not_found');
    expect(await codeOf(service.resolveForward(alice, 'pf_doesnotexist00000000'))).toBe('forward_not_found');
  });
});

describe('ForwardService lifecycle', () => {
  it('removes every forward of a stopped container and nothing else', async () => {
    const { service, events, runtime } = setUp();
    await service.createForward(admin, 'web', { containerPort: 1 });
    await service.createForward(admin, 'web', { containerPort: 2 });
    const bobs = await service.createForward(admin, 'bobs', { containerPort: 1 });
    runtime.stopSilently(RUNNING);
    expect(await service.onContainerStopped(RUNNING, 'died')).toBe(2);
    const removed = events.events.filter((e) => e.type === 'forward_removed');
    expect(removed.map((e) => e.type === 'forward_removed' && e.reason)).toEqual(['container_stopped', 'container_stopped']);
    expect((await service.resolveForward(admin, bobs.id)).id).toBe(bobs.id);
  });

  it('keeps the forwards of a new life when a late stop event of the old life arrives', async () => {
    const { service, runtime, store } = setUp();
    const old = await service.createForward(admin, 'web', { containerPort: 1 });
    runtime.stopSilently(RUNNING);
    runtime.start(RUNNING);
    const fresh = await service.createForward(admin, 'web', { containerPort: 2 });
    // Making `fresh` already ended `old` (an earlier life); the late event takes nothing more.
    expect(await store.get(old.id)).toBeUndefined();
    expect(await service.onContainerStopped(RUNNING, 'died')).toBe(0);
    expect((await store.listAll()).map((f) => f.id)).toEqual([fresh.id]);
  });

  it('removes everything when the runtime cannot say what runs', async () => {
    const { service, runtime, store } = setUp();
    await service.createForward(admin, 'web', { containerPort: 1 });
    runtime.setUnavailable(true);
    expect(await service.onContainerStopped(RUNNING, 'died')).toBe(1);
    expect(await store.listAll()).toHaveLength(0);
  });

  it('keeps the forwards of a paused container, which refuses connections until unpaused', async () => {
    const { service, runtime, store } = setUp();
    const forward = await service.createForward(admin, 'web', { containerPort: 1 });
    runtime.pause(RUNNING);
    expect(await service.reconcile()).toBe(0);
    expect(await codeOf(service.connect(forward))).toBe('container_not_running');
    expect(await store.get(forward.id)).toBeDefined();
    expect(await codeOf(service.createForward(admin, 'web', { containerPort: 2 }))).toBe('container_not_running');
    runtime.unpause(RUNNING);
    expect(await codeOf(service.connect(forward))).toBe('upstream_unreachable'); // dialed again: nothing listens in the fake
  });

  it.each([
    ['stopped silently', (rt: FakeContainerRuntime) => rt.stopSilently(RUNNING), 1],
    ['restarted (a new life)', (rt: FakeContainerRuntime) => { rt.stopSilently(RUNNING); rt.start(RUNNING); }, 1],
    ['removed', (rt: FakeContainerRuntime) => rt.remove(RUNNING), 1],
    ['still running', () => undefined, 0],
  ])('reconcile after a container %s removes %d forward', async (_description, change, expected) => {
    const { service, runtime } = setUp();
    await service.createForward(admin, 'web', { containerPort: 1 });
    change(runtime);
    expect(await service.reconcile()).toBe(expected);
  });

  it('reconcile keeps forwards when the runtime cannot be asked', async () => {
    const { service, runtime, store } = setUp();
    await service.createForward(admin, 'web', { containerPort: 1 });
    runtime.setUnavailable(true);
    expect(await service.reconcile()).toBe(0);
    expect(await store.listAll()).toHaveLength(1);
  });
});

describe('ForwardService.restore (start-up after a restart)', () => {
  /** A second process over the same store: new allocator, new service, same runtime. */
  function restart(before: ReturnType<typeof setUp>) {
    const localPorts = new RangePortAllocator({ first: 20000, last: 20099 });
    const events = new RecordingPublisher();
    const service = new ForwardService({
      runtime: before.runtime,
      store: before.store,
      localPorts,
      ids: new CryptoIdGenerator(),
      clock: before.clock,
      events,
    });
    return { service, localPorts, events };
  }

  it.each([
    ['still running', () => undefined, null],
    ['stopped while Porthole was down', (rt: FakeContainerRuntime) => rt.stopSilently(RUNNING), 'container is exited'],
    ['restarted (a new life)', (rt: FakeContainerRuntime) => { rt.stopSilently(RUNNING); rt.start(RUNNING); }, 'container was restarted'],
    ['removed', (rt: FakeContainerRuntime) => rt.remove(RUNNING), 'container no longer exists'],
  ])('a container %s: its forward is kept (null) or removed with the reason %p', async (_description, change, reason) => {
    const before = setUp();
    const forward = await before.service.createForward(admin, 'web', { containerPort: 8080, localPort: 20042 });
    change(before.runtime);
    const after = restart(before);
    const report = await after.service.restore();
    if (reason === null) {
      expect(report.kept).toEqual([forward]);
      expect(report.removed).toEqual([]);
      expect(after.localPorts.has(20042)).toBe(true);
      expect(await after.service.resolveForward(admin, forward.id)).toEqual(forward);
    } else {
      expect(report.kept).toEqual([]);
      expect(report.removed).toEqual([{ forward, reason }]);
      expect(after.localPorts.has(20042)).toBe(false);
      expect(after.events.events).toEqual([{ type: 'forward_removed', forward, reason: 'reconciled', detail: reason }]);
    }
  });

  it('keeps every forward when the runtime cannot be asked at start-up', async () => {
    const before = setUp();
    await before.service.createForward(admin, 'web', { containerPort: 1 });
    await before.service.createForward(admin, 'web', { containerPort: 2 });
    before.runtime.setUnavailable(true);
    const report = await restart(before).service.restore();
    expect(report.kept.map((f) => f.containerPort)).toEqual([1, 2]);
    expect(report.removed).toEqual([]);
  });

  it('keeps a forward whose port cannot be reopened, and says so', async () => {
    const before = setUp();
    const forward = await before.service.createForward(admin, 'web', { containerPort: 1, localPort: 20001 });
    const after = restart(before);
    await after.localPorts.reserve(forward.id, 20001 as never); // another program took it
    const report = await after.service.restore();
    expect(report.kept).toEqual([forward]);
    expect(report.portsNotReopened).toEqual([{ forward, message: expect.stringContaining('20001') }]);
    expect(await before.store.get(forward.id)).toEqual(forward);
  });

  it('asks about several containers at once, each once, and no more than 8 at a time', async () => {
    const before = setUp();
    const ids = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(11, '0')}`);
    for (const id of ids) before.runtime.add({ id });
    for (const id of ids) {
      await before.service.createForward(admin, id, { containerPort: 1 });
      await before.service.createForward(admin, id, { containerPort: 2 });
    }
    const slow = before.runtime.slowFinds();
    const asked = before.runtime.calls.find;
    const restoring = restart(before).service.restore();
    while (before.runtime.calls.find - asked < ids.length || slow.inFlight > 0) {
      await new Promise((resolve) => setImmediate(resolve));
      slow.answer();
    }
    const report = await restoring;
    expect(report.kept).toHaveLength(40);
    expect(before.runtime.calls.find - asked).toBe(20);
    expect(slow.most).toBe(8);
  });

  it('does not report as kept a forward the lifecycle removed while start-up was checking it', async () => {
    const before = setUp();
    const forward = await before.service.createForward(admin, 'web', { containerPort: 1 });
    const localPorts = new RangePortAllocator({ first: 20000, last: 20099 });
    const after = new ForwardService({
      runtime: before.runtime,
      store: before.store,
      // The container stops (and its forward goes) just as its port is being reopened.
      localPorts: {
        reserve: (id, requested) => localPorts.reserve(id, requested),
        restore: async (id, port) => {
          await localPorts.restore(id, port);
          before.runtime.stop(RUNNING);
          await after.onContainerStopped(RUNNING, 'died');
        },
        release: (port) => localPorts.release(port),
      },
      ids: new CryptoIdGenerator(),
      clock: before.clock,
      events: new RecordingPublisher(),
    });
    const report = await after.restore();
    expect(report.kept).toEqual([]);
    expect(await before.store.get(forward.id)).toBeUndefined();
    expect(localPorts.has(forward.localPort)).toBe(false);
  });

  it('hands out new ports around the restored ones', async () => {
    const before = setUp();
    const first = await before.service.createForward(admin, 'web', { containerPort: 1 });
    const after = restart(before);
    await after.service.restore();
    const next = await after.service.createForward(admin, 'web', { containerPort: 2 });
    expect(next.localPort).not.toBe(first.localPort);
  });
});

describe('ForwardService.connect', () => {
  let server: Server;
  let address: AddressInfo;

  beforeAll(async () => {
    server = createServer((socket) => socket.pipe(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    address = server.address() as AddressInfo;
  });
  afterAll(() => server.close());

  it('opens a real connection to the container port', async () => {
    const { service, runtime } = setUp();
    runtime.listen(RUNNING, 8080, { host: '127.0.0.1', port: address.port });
    const forward = await service.createForward(admin, 'web', { containerPort: 8080 });
    const socket = await service.connect(forward);
    socket.write('ping');
    const [echo] = (await once(socket, 'data')) as [Buffer];
    expect(echo.toString()).toBe('ping');
    socket.destroy();
  });

  it.each<[string, (rt: FakeContainerRuntime) => void, DomainErrorCode]>([
    ['nothing listening', () => undefined, 'upstream_unreachable'],
    ['runtime down', (rt) => rt.setUnavailable(true), 'runtime_unavailable'],
    ['container restarted since', (rt) => { rt.stopSilently(RUNNING); rt.start(RUNNING); }, 'forward_not_found'],
  ])('%s → %s', async (_description, change, expected) => {
    const { service, runtime, store } = setUp();
    const forward = await service.createForward(admin, 'web', { containerPort: 8080 });
    change(runtime);
    expect(await codeOf(service.connect(forward))).toBe(expected);
    if (expected === 'forward_not_found') expect(await store.get(forward.id)).toBeUndefined();
  });
});
