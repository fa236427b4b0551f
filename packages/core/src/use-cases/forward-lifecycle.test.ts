import { InMemoryForwardStore } from '../adapters/in-memory-forward-store';
import { RangePortAllocator } from '../adapters/range-port-allocator';
import type { Principal } from '../domain/principal';
import { CryptoIdGenerator } from '../support/crypto-id-generator';
import { FakeContainerRuntime } from '../testing/fake-container-runtime';
import { FixedClock } from '../testing/fixed-clock';
import { RecordingPublisher } from '../testing/recording-publisher';
import { ForwardLifecycle, type LifecycleLog } from './forward-lifecycle';
import { ForwardService } from './forward.service';

const admin: Principal = { id: 'admin', role: 'admin' };

function setUp(log?: LifecycleLog, retryDelaysMs?: readonly number[]) {
  const runtime = new FakeContainerRuntime([{ id: 'aaaa1111', name: 'a' }, { id: 'bbbb2222', name: 'b' }]);
  const store = new InMemoryForwardStore();
  const service = new ForwardService({
    runtime,
    store,
    localPorts: new RangePortAllocator({ first: 20000, last: 20099 }),
    ids: new CryptoIdGenerator(),
    clock: new FixedClock(),
    events: new RecordingPublisher(),
  });
  const lifecycle = new ForwardLifecycle(runtime, service, log, retryDelaysMs);
  lifecycle.start();
  return { runtime, store, service, lifecycle };
}

describe('ForwardLifecycle', () => {
  it('removes forwards when the runtime reports a stop', async () => {
    const { runtime, store, service, lifecycle } = setUp();
    await service.createForward(admin, 'a', { containerPort: 1 });
    await service.createForward(admin, 'b', { containerPort: 1 });
    runtime.stop('aaaa1111', 'died');
    await lifecycle.idle();
    expect((await store.listAll()).map((f) => f.containerId)).toEqual(['bbbb2222']);
  });

  it('reconciles when the event stream resumes after a gap', async () => {
    const { runtime, store, service, lifecycle } = setUp();
    await service.createForward(admin, 'a', { containerPort: 1 });
    runtime.stopSilently('aaaa1111');
    expect(await store.listAll()).toHaveLength(1);
    runtime.resume();
    await lifecycle.idle();
    expect(await store.listAll()).toHaveLength(0);
  });

  it('tries a stop again when the store cannot be written, until its forwards are gone', async () => {
    const logged: Parameters<LifecycleLog>[0][] = [];
    const { runtime, store, service, lifecycle } = setUp((entry) => logged.push(entry), [5, 10]);
    await service.createForward(admin, 'a', { containerPort: 1 });
    // A full disk, twice: removals fail, then succeed.
    const remove = store.remove.bind(store);
    let failures = 2;
    store.remove = async (id) => {
      if (failures > 0) {
        failures -= 1;
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      }
      return remove(id);
    };
    runtime.stop('aaaa1111', 'died');
    for (let i = 0; i < 50 && (await store.listAll()).length > 0; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(await store.listAll()).toEqual([]);
    expect(logged.filter((entry) => entry.level === 'error')).toEqual([
      expect.objectContaining({ msg: 'lifecycle event handling failed; trying again', containerId: 'aaaa1111', retryInMs: 5 }),
      expect.objectContaining({ msg: 'lifecycle event handling failed; trying again', containerId: 'aaaa1111', retryInMs: 10 }),
    ]);
    lifecycle.stop();
  });

  it('stops listening when stopped', async () => {
    const { runtime, store, service, lifecycle } = setUp();
    await service.createForward(admin, 'a', { containerPort: 1 });
    lifecycle.stop();
    runtime.stop('aaaa1111');
    await lifecycle.idle();
    expect(await store.listAll()).toHaveLength(1);
  });
});
