// Figures that need the real Docker engine: the cost of creating a forward, and how long
// a killed container's forward outlives it. Skipped (with a note) when no engine answers.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Dockerode = require(require.resolve('dockerode', { paths: [path.join(__dirname, '../..')] }));
const { freePort, accepts } = require('./processes');

const ROOT = path.join(__dirname, '../..');
const TOKEN = 'bench-engine-token-0123456789';
const IMAGE = 'porthole-test/node:local';
const LABEL = 'porthole.bench';
const ECHO = "require('net').createServer(s=>s.pipe(s)).listen(7000)";

function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

async function engineAvailable(docker) {
  try {
    await Promise.race([docker.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000))]);
    return true;
  } catch {
    return false;
  }
}

async function startContainer(docker) {
  const container = await docker.createContainer({ Image: IMAGE, Cmd: ['node', '-e', ECHO], Labels: { [LABEL]: '1' } });
  await container.start();
  return container;
}

async function api(base, method, route, body) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** Returns the figures, or {skipped: reason}. */
async function measureEngine({ creates = 60, kills = 8 } = {}) {
  const docker = new Dockerode(process.env.DOCKER_HOST ? undefined : { socketPath: '/var/run/docker.sock' });
  if (!(await engineAvailable(docker))) return { skipped: 'no Docker engine answers (set DOCKER_HOST)' };
  const built = spawnSync('bash', [path.join(ROOT, 'scripts/build-test-image.sh')], { stdio: 'inherit' });
  if (built.status !== 0) return { skipped: 'the test image could not be built' };

  const port = await freePort();
  // The default store, SQLite in a data directory (every create is a synced commit), in a
  // directory of its own.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-bench-'));
  const server = spawn(process.execPath, [path.join(ROOT, 'apps/server/dist/main.js')], {
    env: { ...process.env, PORTHOLE_PORT: String(port), PORTHOLE_ADMIN_TOKEN: TOKEN, PORTHOLE_LOG_LEVEL: 'warn', PORTHOLE_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const containers = [];
  try {
    while (!(await accepts(port))) await new Promise((r) => setTimeout(r, 50));
    const base = `http://127.0.0.1:${port}`;
    const target = await startContainer(docker);
    containers.push(target);
    const forwards = `/api/containers/${target.id}/port-forwards`;

    const createMs = [];
    for (let i = 0; i < creates; i += 1) {
      const started = performance.now();
      const created = await api(base, 'POST', forwards, { container_port: 7000 });
      createMs.push(performance.now() - started);
      if (created.status !== 201) throw new Error(`create answered ${created.status}`);
      await api(base, 'DELETE', `${forwards}/${created.json.id}`);
    }

    const goneMs = [];
    for (let i = 0; i < kills; i += 1) {
      const doomed = await startContainer(docker);
      containers.push(doomed);
      const route = `/api/containers/${doomed.id}/port-forwards`;
      await api(base, 'POST', route, { container_port: 7000 });
      const started = performance.now();
      await doomed.kill();
      for (;;) {
        const list = await api(base, 'GET', route);
        if (list.status !== 200 || list.json.length === 0) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      goneMs.push(performance.now() - started);
    }
    return {
      createP50: percentile(createMs, 0.5),
      createP99: percentile(createMs, 0.99),
      creates,
      goneP50: percentile(goneMs, 0.5),
      goneMax: Math.max(...goneMs),
      kills,
    };
  } finally {
    server.kill('SIGTERM');
    await Promise.all(containers.map((c) => c.remove({ force: true }).catch(() => undefined)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

module.exports = { measureEngine };
