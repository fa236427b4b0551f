// Porthole itself, built exactly as `main` builds it (config, inversify wiring, http
// server, proxy, tunnel, host ports), except for the container runtime: a static one whose
// container port 80 is the benchmark app's HTTP port and 9000/9001/9002 its TCP sink,
// source and echo, all on loopback like the baselines. Every request still goes through
// authentication, forward lookup, the dial port and the limits.
const path = require('node:path');
const dist = (pkg, file) => require(path.join(__dirname, '..', pkg, 'dist', file));
const { parseConfig } = dist('apps/server', 'config.js');
const { createLogger } = dist('apps/server', 'logger.js');
const { startPorthole } = dist('apps/server', 'porthole-server.js');
const { FakeContainerRuntime } = dist('packages/core', 'testing/index.js');

const app = JSON.parse(process.env.BENCH_APP);
const at = (port) => ({ host: '127.0.0.1', port });
const runtime = new FakeContainerRuntime([
  {
    id: 'bench0000000000000000000000000000000000000000000000000000000000aa',
    name: 'bench',
    ports: { 80: at(app.httpPort), 9000: at(app.sinkPort), 9001: at(app.sourcePort), 9002: at(app.echoPort) },
  },
]);

const config = parseConfig({ ...process.env, PORTHOLE_PORT: '0', PORTHOLE_LOG_LEVEL: 'silent', PORTHOLE_DATA_DIR: ':memory:' });
startPorthole(config, { logger: createLogger('silent'), runtime }).then((running) => {
  process.stdout.write(JSON.stringify({ url: running.url }) + '\n');
});

// A normal exit on signals, so that `node --cpu-prof` can write its profile.
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
