// Starting and measuring the processes of a benchmark run.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const started = [];

/** Starts `node script` and resolves with the JSON of its first stdout line. */
function startNode(script, env = {}) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve({ child, info: JSON.parse(buffered.slice(0, newline)) });
    });
    child.once('exit', (code) => reject(new Error(`${path.basename(script)} exited with ${code} before it was ready`)));
  });
}

/** Starts any command; resolves once `port` accepts connections. */
async function startCommand(command, args, port) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  started.push(child);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${command} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process, in KiB (Linux). */
function rssKiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

/** nginx as a reverse proxy with upstream keep-alive, one worker (Porthole is one process). */
async function startNginx(targetPort) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'porthole-bench-nginx-'));
  const port = await freePort();
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${targetPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`,
  );
  await startCommand('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf')], port);
  return port;
}

/** socat forwarding a loopback port to the target, one process per connection (fork). */
async function startSocat(targetPort) {
  const port = await freePort();
  await startCommand('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr`, `TCP:127.0.0.1:${targetPort}`], port);
  return port;
}

function stopAll() {
  for (const child of started) if (child.exitCode === null) child.kill('SIGTERM');
}

/** The tools the run needs; installs them from Debian's packages when it can (root). */
function ensureTools() {
  const missing = [
    ['wrk', 'wrk'],
    ['nginx', 'nginx-light'],
    ['socat', 'socat'],
  ].filter(([command]) => spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0);
  if (missing.length === 0) return;
  const packages = missing.map(([, pkg]) => pkg);
  if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v apt-get']).status === 0) {
    console.error(`installing ${packages.join(' ')} ...`);
    const install = spawnSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (install.status === 0) return;
  }
  throw new Error(`the benchmark needs ${packages.join(', ')}: apt-get install ${packages.join(' ')}`);
}

module.exports = { startNode, startCommand, freePort, rssKiB, startNginx, startSocat, stopAll, ensureTools, accepts };
