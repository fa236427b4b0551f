#!/usr/bin/env node
// A Kubernetes API to try Porthole's Kubernetes runtime without a cluster: the test API
// server of packages/adapters-k8s (HTTPS, a bearer token, pods, watch, port-forward) with
// one pod, `demo`, whose port 8000 serves "hello from pod demo". Build first (npm run
// build, or npm start once). Prints the KUBECONFIG to use; reads commands on stdin:
//   delete demo     the pod goes (its forwards go with it)
//   add demo        the pod comes back (a new pod: a new life)
//   pending demo    the pod exists but does not run
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const dist = path.join(__dirname, '..', 'packages', 'adapters-k8s', 'dist', 'testing', 'index.js');
if (!fs.existsSync(dist)) {
  console.error('kube-sandbox: build first (npm run build).');
  process.exit(1);
}
const { FakeKubeApiServer } = require(dist);

// The pod's IP: a loopback address of its own, so that "dialing the pod IP" is real.
const POD_IP = process.env.KUBE_SANDBOX_POD_IP || '127.0.0.5';
const POD_PORT = 8000;

async function main() {
  const app = http.createServer((req, res) => res.end(`hello from pod demo: ${req.url}\n`));
  await new Promise((resolve, reject) => app.once('error', reject).listen(POD_PORT, POD_IP, resolve));
  const api = await FakeKubeApiServer.start({ namespace: 'sandboxes' });
  const dir = path.join(os.tmpdir(), 'porthole-kube-sandbox');
  fs.mkdirSync(dir, { recursive: true });
  const kubeconfig = api.writeKubeconfig(dir);
  const demo = (extra = {}) => api.upsertPod({ name: 'demo', podIP: POD_IP, labels: { app: 'demo' }, ...extra });
  demo();
  console.log(`Kubernetes API (test server) at ${api.url}, namespace "sandboxes", pod "demo" (port ${POD_PORT} at ${POD_IP}).`);
  console.log(`export KUBECONFIG=${kubeconfig}`);
  console.log('Commands: "delete demo", "add demo", "pending demo". Ctrl-C stops.');
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [command, name = 'demo'] = line.trim().split(/\s+/);
    try {
      if (command === 'delete') api.deletePod(name);
      else if (command === 'add') api.upsertPod({ name, podIP: POD_IP, phase: 'Running', ready: true });
      else if (command === 'pending') api.upsertPod({ name, phase: 'Pending' });
      else if (command) return console.log(`unknown command "${command}"`);
      if (command) console.log(`${command} ${name}: done`);
    } catch (error) {
      console.log(String(error.message ?? error));
    }
  });
  const stop = async () => {
    await api.close();
    app.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error) => {
  console.error(`kube-sandbox: ${error.message ?? error}`);
  process.exit(1);
});
