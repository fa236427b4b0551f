// The contract against the Kubernetes adapter: the real @kubernetes/client-node 1.4.0 over
// HTTPS (a CA, a bearer token) against the protocol-level test API server, in both dial
// modes. Pods "listen" on 127.0.0.2, so a direct dial really goes to the pod IP the API
// reports, and a port-forward really carries bytes through the WebSocket channels.
import { createServer, type Server } from 'node:net';
import { randomBytes } from 'node:crypto';
import { KubeConfig, KubernetesContainerRuntime } from '../../packages/adapters-k8s/src/index';
import { FakeKubeApiServer } from '../../packages/adapters-k8s/src/testing/index';
import type { DialMode } from '../../packages/adapters-k8s/src/pod-dialer';
import { describeRuntimeContract, type ContractContainer, type RuntimeHarness } from './container-runtime-contract';

const POD_IP = '127.0.0.2';

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
}

async function unusedPort(host: string): Promise<number> {
  const probe = createServer();
  const port = await listen(probe, host);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function kubernetesHarness(dialMode: DialMode): Promise<RuntimeHarness> {
  const api = await FakeKubeApiServer.start();
  const echo = createServer((socket) => socket.pipe(socket));
  const echoPort = await listen(echo, POD_IP);
  const closedPort = await unusedPort(POD_IP);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions(api.kubeConfigOptions());
  const runtime = new KubernetesContainerRuntime(kubeConfig, { namespace: api.namespace, dialMode, reconnectMinMs: 50 });
  const spec = (name: string) => ({ name, podIP: POD_IP, labels: { app: 'contract' } });
  const pod = (name: string): ContractContainer => ({ ref: name, id: name, echoPort, closedPort });
  const fresh = () => `pod-${randomBytes(4).toString('hex')}`;
  return {
    runtime,
    start: async () => {
      const name = fresh();
      api.upsertPod(spec(name));
      return pod(name);
    },
    startNotRunning: async () => {
      const name = fresh();
      api.upsertPod({ ...spec(name), phase: 'Pending', ready: false });
      return pod(name);
    },
    stop: async (container) => {
      api.upsertPod({ ...spec(container.ref), phase: 'Succeeded', ready: false });
    },
    remove: async (container) => api.deletePod(container.ref),
    cutEventStream: async () => api.closeWatches(),
    close: async () => {
      await api.close();
      await new Promise((resolve) => echo.close(resolve));
    },
  };
}

describeRuntimeContract('Kubernetes, dialing pod IPs', () => kubernetesHarness('direct'));
describeRuntimeContract('Kubernetes, dialing through the API server', () => kubernetesHarness('apiserver'));
