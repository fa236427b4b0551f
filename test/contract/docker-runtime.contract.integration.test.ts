// The contract against the real Docker engine of DOCKER_HOST. Its event stream goes
// through a relay the test can cut, which is what a daemon restart does to it.
import Dockerode from 'dockerode';
import { DockerContainerRuntime } from '../../packages/adapters-docker/src/index';
import {
  createdContainer,
  describeDocker,
  engineSocketPath,
  removeTestContainers,
  startFixtureContainer,
  type FixtureContainer,
} from '../support/docker';
import { startSocketRelay } from '../support/socket-relay';
import { TIMEOUTS } from '../support/timeouts';
import { describeRuntimeContract, type ContractContainer, type RuntimeHarness } from './container-runtime-contract';

async function dockerHarness(): Promise<RuntimeHarness> {
  const relay = await startSocketRelay({ path: engineSocketPath() });
  const runtime = new DockerContainerRuntime(new Dockerode({ socketPath: relay.path, host: undefined }));
  const fixtures = new Map<string, FixtureContainer>();
  const contract = (fixture: FixtureContainer): ContractContainer => {
    fixtures.set(fixture.id, fixture);
    return { ref: fixture.name, id: fixture.id, echoPort: fixture.tcpPort, closedPort: 9999 };
  };
  return {
    runtime,
    start: async () => contract(await startFixtureContainer()),
    startNotRunning: async () => {
      const created = await createdContainer();
      return { ref: created.name, id: created.id, echoPort: 9000, closedPort: 9999 };
    },
    stop: async (container) => fixtures.get(container.id)?.stop(),
    remove: async (container) => fixtures.get(container.id)?.remove(),
    cutEventStream: async () => relay.cut(),
    close: async () => {
      await relay.close();
      await removeTestContainers();
    },
  };
}

describeRuntimeContract('Docker engine', dockerHarness, describeDocker, {
  lifecycleMs: 2000,
  testMs: TIMEOUTS.engineTest,
  hookMs: TIMEOUTS.engineHook,
});
