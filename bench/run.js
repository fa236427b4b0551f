#!/usr/bin/env node
// `npm run bench`: every figure of Porthole next to baselines measured in the same run on
// the same machine, written to BENCHMARKS.md. Everything runs on loopback.
//   BENCH_SECONDS (5)    wrk duration per case
//   BENCH_MB (256)       bytes per throughput case, in MiB
//   BENCH_TUNNELS (2000) idle tunnels for the memory figure
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startNode, freePort, rssKiB, startNginx, startSocat, stopAll, ensureTools } = require('./lib/processes');
const { wrk } = require('./lib/http-load');
const { upload, download, roundTrip, openIdleTunnels, MB } = require('./lib/stream-load');
const { measureEngine } = require('./lib/engine');
const { writeReport } = require('./lib/report');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BYTES = Number(process.env.BENCH_MB ?? 256) * MB;
const TUNNELS = Number(process.env.BENCH_TUNNELS ?? 2000);
const CONNECTIONS = 50;
const TOKEN = 'bench-token-0123456789abcdef';

const log = (message) => console.error(`[bench] ${message}`);

async function api(base, method, route, body) {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
  return response.json();
}

async function main() {
  ensureTools();
  const app = await startNode(path.join(__dirname, 'upstream.js'), { SOURCE_BYTES: String(BYTES) });
  const upstream = app.info;
  const naive = await startNode(path.join(__dirname, 'naive-proxy.js'), { TARGET_PORT: String(upstream.httpPort) });
  const nginxPort = await startNginx(upstream.httpPort);
  const localFirst = await freePort();
  const porthole = await startNode(path.join(__dirname, 'static-porthole.js'), {
    BENCH_APP: JSON.stringify(upstream),
    PORTHOLE_ADMIN_TOKEN: TOKEN,
    PORTHOLE_TUNNEL_BYTES_PER_SECOND: '0', // the cap off: this measures the machinery
    PORTHOLE_LOCAL_PORTS: `${localFirst}-${localFirst + 50}`,
  });
  const base = porthole.info.url;
  const forward = async (port) => api(base, 'POST', '/api/containers/bench/port-forwards', { container_port: port });
  const [web, sink, source, echo] = await Promise.all([forward(80), forward(9000), forward(9001), forward(9002)]);

  const results = { proxy: [], tunnel: [], rtt: [] };
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const proxies = [
    ['direct', `http://127.0.0.1:${upstream.httpPort}`, {}],
    ['nginx', `http://127.0.0.1:${nginxPort}`, {}],
    ['naive http-proxy', `http://127.0.0.1:${naive.info.port}`, {}],
    ['Porthole', `${base}/p/${web.id}`, auth],
  ];
  for (const size of ['1k', '1m']) {
    for (const [name, prefix, headers] of proxies) {
      wrk(`${prefix}/${size}`, { seconds: 1, connections: CONNECTIONS, headers }); // warm-up
      log(`proxy ${size} ${name}`);
      results.proxy.push({ size, name, ...wrk(`${prefix}/${size}`, { seconds: SECONDS, connections: CONNECTIONS, headers }) });
    }
  }

  const [socatSink, socatSource, socatEcho] = await Promise.all([
    startSocat(upstream.sinkPort),
    startSocat(upstream.sourcePort),
    startSocat(upstream.echoPort),
  ]);
  const tunnelOf = (f) => ({ url: f.websocket_url, token: TOKEN });
  const streams = [
    ['direct TCP', { port: upstream.sinkPort }, { port: upstream.sourcePort }, { port: upstream.echoPort }],
    ['socat', { port: socatSink }, { port: socatSource }, { port: socatEcho }],
    ['Porthole tunnel', tunnelOf(sink), tunnelOf(source), tunnelOf(echo)],
    ['Porthole host port', { port: sink.local_port }, { port: source.local_port }, { port: echo.local_port }],
  ];
  for (const [name, up, down, rttTarget] of streams) {
    log(`tunnel ${name}`);
    await upload(up, 16 * MB); // warm-up
    results.tunnel.push({ name, upload: await upload(up, BYTES), download: await download(down, BYTES) });
    results.rtt.push({ name, ...(await roundTrip(rttTarget, 2000)) });
  }

  log(`memory: ${TUNNELS} idle tunnels`);
  const closeWarm = await openIdleTunnels(echo.websocket_url, TOKEN, 50);
  await new Promise((r) => setTimeout(r, 1000));
  const before = rssKiB(porthole.child.pid);
  const closeIdle = await openIdleTunnels(echo.websocket_url, TOKEN, TUNNELS);
  await new Promise((r) => setTimeout(r, 2000));
  const after = rssKiB(porthole.child.pid);
  closeIdle();
  closeWarm();
  results.memory = { tunnels: TUNNELS, beforeKiB: before, afterKiB: after, perTunnelKiB: (after - before) / TUNNELS };
  stopAll();

  log('engine: create cost and kill-to-gone');
  results.engine = await measureEngine();

  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
    settings: { seconds: SECONDS, mib: BYTES / MB, tunnels: TUNNELS, connections: CONNECTIONS },
  };
  const report = writeReport(results, machine);
  fs.writeFileSync(path.join(__dirname, '..', 'BENCHMARKS.md'), report);
  fs.writeFileSync(path.join(__dirname, '..', '.test-results', 'bench.json'), JSON.stringify({ machine, results }, null, 2));
  process.stdout.write(report);
}

fs.mkdirSync(path.join(__dirname, '..', '.test-results'), { recursive: true });
main().catch((error) => {
  stopAll();
  console.error(error);
  process.exit(1);
});
