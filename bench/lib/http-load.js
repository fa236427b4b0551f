// HTTP load with wrk: requests/s and latency percentiles at a fixed number of connections.
const { spawnSync } = require('node:child_process');

function toMs(value, unit) {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 's' ? n * 1000 : n;
}

/**
 * Runs wrk against `url` and returns {rps, p50, p99} (latencies in ms).
 * Two threads: wrk competes with the proxies for the machine's cores, the same for all.
 */
function wrk(url, { seconds, connections, headers = {} }) {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
  const run = spawnSync('wrk', [...args, url], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr}`);
  const out = run.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const pct = (p) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out);
    return match ? toMs(match[1], match[2]) : NaN;
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  const socketErrors = /Socket errors: (.*)/.exec(out)?.[1];
  if (errors !== undefined) throw new Error(`${url}: ${errors} non-2xx responses`);
  return { rps, p50: pct(50), p99: pct(99), ...(socketErrors ? { socketErrors } : {}) };
}

module.exports = { wrk };
