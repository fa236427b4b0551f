// The contract against the in-memory fake that the core's and delivery's tests rely on:
// if it passed here and a real runtime failed, those tests would be testing a fiction.
import { createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { FakeContainerRuntime } from '../../packages/core/src/testing/index';
import { describeRuntimeContract, type ContractContainer, type RuntimeHarness } from './container-runtime-contract';

async function fakeHarness(): Promise<RuntimeHarness> {
  const runtime = new FakeContainerRuntime();
  const echo: Server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  const echoAddress = { host: '127.0.0.1', port: (echo.address() as { port: number }).port };
  const make = (running: boolean): ContractContainer => {
    const id = randomBytes(32).toString('hex');
    const name = `fake-${id.slice(0, 8)}`;
    runtime.add({ id, name, running, ports: { 7000: echoAddress } });
    return { ref: name, id, echoPort: 7000, closedPort: 7001 };
  };
  return {
    runtime,
    start: async () => make(true),
    startNotRunning: async () => make(false),
    stop: async (container) => runtime.stop(container.id),
    remove: async (container) => runtime.remove(container.id),
    // The fake's event stream never breaks by itself: what a reconnection announces.
    cutEventStream: async () => runtime.resume(),
    close: () => new Promise<void>((resolve) => echo.close(() => resolve())),
  };
}

describeRuntimeContract('in-memory fake', fakeHarness);
