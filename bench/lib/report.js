// Turns one run's figures into BENCHMARKS.md: tables, ratios to the baselines of the same
// run, and each target of issue 3 with a plain met / missed.
const fixed = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const verdict = (ok) => (ok ? 'met' : '**missed**');

function proxyTable(rows) {
  const lines = ['| response | through | requests/s | p50 ms | p99 ms | × direct | × naive http-proxy |', '|---|---|---:|---:|---:|---:|---:|'];
  for (const size of ['1k', '1m']) {
    const of = (name) => rows.find((r) => r.size === size && r.name === name);
    for (const row of rows.filter((r) => r.size === size)) {
      lines.push(
        `| ${size === '1k' ? '1 KiB' : '1 MiB'} | ${row.name} | ${fixed(row.rps)} | ${fixed(row.p50, 2)} | ${fixed(row.p99, 2)} | ` +
          `${fixed(ratio(row.rps, of('direct')?.rps), 2)} | ${fixed(ratio(row.rps, of('naive http-proxy')?.rps), 2)} |`,
      );
    }
  }
  return lines.join('\n');
}

function tunnelTable(rows, rtt) {
  const socat = rows.find((r) => r.name === 'socat');
  const lines = [
    '| path | upload MB/s | download MB/s | × socat up | × socat down | round trip p50 µs | p99 µs |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const r = rtt.find((x) => x.name === row.name) ?? {};
    lines.push(
      `| ${row.name} | ${fixed(row.upload)} | ${fixed(row.download)} | ${fixed(ratio(row.upload, socat?.upload), 2)} | ` +
        `${fixed(ratio(row.download, socat?.download), 2)} | ${fixed(r.p50)} | ${fixed(r.p99)} |`,
    );
  }
  return lines.join('\n');
}

function writeReport(results, machine) {
  const proxyOf = (size, name) => results.proxy.find((r) => r.size === size && r.name === name);
  const tunnel = results.tunnel.find((r) => r.name === 'Porthole tunnel');
  const socat = results.tunnel.find((r) => r.name === 'socat');
  const p1k = ratio(proxyOf('1k', 'Porthole')?.rps, proxyOf('1k', 'naive http-proxy')?.rps);
  const p1m = ratio(proxyOf('1m', 'Porthole')?.rps, proxyOf('1m', 'naive http-proxy')?.rps);
  const up = ratio(tunnel?.upload, socat?.upload);
  const down = ratio(tunnel?.download, socat?.download);
  const perTunnel = results.memory.perTunnelKiB;
  const engine = results.engine;
  const engineText =
    engine.skipped !== undefined
      ? `Skipped: ${engine.skipped}.`
      : [
          '| figure | value |',
          '|---|---:|',
          `| create a forward (POST, real engine), p50 | ${fixed(engine.createP50, 1)} ms |`,
          `| create a forward, p99 (${engine.creates} creates) | ${fixed(engine.createP99, 1)} ms |`,
          `| \`docker kill\` → forward gone, p50 | ${fixed(engine.goneP50)} ms |`,
          `| \`docker kill\` → forward gone, worst of ${engine.kills} | ${fixed(engine.goneMax)} ms |`,
        ].join('\n');

  return `# Benchmarks

Written by \`npm run bench\` (bench/run.js); every figure below comes from one run, and
every ratio compares figures of that same run on the same machine. Everything runs on
loopback: the app (bench/upstream.js, one Node process), wrk, the baselines and Porthole
share the machine's cores.

**Machine:** ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}.
**Run:** ${machine.date}; wrk ${machine.settings.seconds} s per case at ${machine.settings.connections} connections, 2 threads;
${machine.settings.mib} MiB per throughput case; ${machine.settings.tunnels} idle tunnels.

## Targets (issue 3)

| target | measured | |
|---|---:|---|
| proxy ≥ 0.9× the naive Node proxy, 1 KiB | ${fixed(p1k, 2)}× | ${verdict(p1k >= 0.9)} |
| proxy ≥ 0.9× the naive Node proxy, 1 MiB | ${fixed(p1m, 2)}× | ${verdict(p1m >= 0.9)} |
| tunnel ≥ 0.6× socat, upload | ${fixed(up, 2)}× | ${verdict(up >= 0.6)} |
| tunnel ≥ 0.6× socat, download | ${fixed(down, 2)}× | ${verdict(down >= 0.6)} |
| < 20 KiB per idle tunnel | ${fixed(perTunnel, 1)} KiB | ${verdict(perTunnel < 20)} |

## HTTP proxy

\`GET /1k\` and \`GET /1m\` from the app, through each path. *nginx* is Debian's nginx-light
as a reverse proxy with upstream keep-alive and one worker (Porthole is one process);
*naive http-proxy* is http-proxy 1.18.1 with a keep-alive agent and nothing else;
*Porthole* adds authentication, forward lookup, header rewriting, limits and its own
response relay. Porthole's runtime is replaced by a static one pointing at the loopback
app (bench/static-porthole.js), so that the path is the same as the baselines'.

${proxyTable(results.proxy)}

## Byte streams

Bulk transfer of ${machine.settings.mib} MiB each way (upload: client → app; download: app → client) and
a 1-byte round trip to an echo (2,000 rounds). *socat* forks a process per connection;
the tunnel client is the \`ws\` package in Node (JavaScript masking, no bufferutil), with
Porthole's rate cap off (\`PORTHOLE_TUNNEL_BYTES_PER_SECOND=0\`).

${tunnelTable(results.tunnel, results.rtt)}

## Memory

${results.memory.tunnels} idle tunnels to the echo: Porthole's resident memory went from
${fixed(results.memory.beforeKiB / 1024, 1)} MiB to ${fixed(results.memory.afterKiB / 1024, 1)} MiB, **${fixed(perTunnel, 1)} KiB per tunnel**
(two sockets each, one to the client and one to the app).

## Real engine

${engineText}
`;
}

module.exports = { writeReport };
