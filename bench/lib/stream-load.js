// Byte-stream figures: bulk throughput each way and small-message round trips, over plain
// TCP (direct, socat, Porthole's host port) or over Porthole's WebSocket tunnel.
const net = require('node:net');
const path = require('node:path');
const WebSocket = require(require.resolve('ws', { paths: [path.join(__dirname, '../..')] }));

const CHUNK = Buffer.alloc(64 * 1024, 'u');
const MB = 1024 * 1024;

/** A byte pipe: TCP to a port, or a tunnel URL with a token. */
function openPipe(target) {
  return target.url === undefined ? openTcp(target.port) : openTunnel(target.url, target.token);
}

function openTcp(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    socket.setNoDelay(true);
    socket.once('connect', () =>
      resolve({
        write: (data) => socket.write(data),
        waitDrain: () => new Promise((r) => socket.once('drain', r)),
        onData: (fn) => socket.on('data', fn),
        onEnd: (fn) => socket.once('end', fn),
        finish: () => socket.end(),
        close: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

function openTunnel(url, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['Bearer', token], { perMessageDeflate: false });
    const listeners = [];
    ws.on('message', (data) => listeners.forEach((fn) => fn(data)));
    ws.once('open', () =>
      resolve({
        // ws has no return value for backpressure: the sender watches bufferedAmount.
        write: (data) => {
          ws.send(data);
          return ws.bufferedAmount < 4 * MB;
        },
        waitDrain: () =>
          new Promise((r) => {
            const check = () => (ws.bufferedAmount < MB ? r() : setImmediate(check));
            check();
          }),
        onData: (fn) => listeners.push(fn),
        onEnd: (fn) => ws.once('close', fn),
        finish: () => undefined, // WebSocket has no half-close; the sink answers by count
        close: () => ws.close(),
      }),
    );
    ws.once('error', reject);
  });
}

/** Sends `bytes` to the sink and waits for its count: MB/s of the upload. */
async function upload(target, bytes) {
  const pipe = await openPipe(target);
  let reply = '';
  const done = new Promise((resolve) => pipe.onData((d) => (reply += d.toString()) && reply.includes('\n') && resolve()));
  const started = process.hrtime.bigint();
  const header = Buffer.alloc(8);
  header.writeBigUInt64BE(BigInt(bytes));
  pipe.write(header);
  for (let sent = 0; sent < bytes; sent += CHUNK.length) {
    if (!pipe.write(CHUNK)) await pipe.waitDrain();
  }
  pipe.finish();
  await done;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  pipe.close();
  if (Number(reply.trim()) < bytes) throw new Error(`sink got ${reply.trim()} of ${bytes} bytes`);
  return bytes / MB / seconds;
}

/** Reads what the source sends until it ends: MB/s of the download. */
async function download(target, expected) {
  const pipe = await openPipe(target);
  let received = 0;
  const started = process.hrtime.bigint();
  await new Promise((resolve) => {
    pipe.onData((d) => {
      received += d.length;
      if (received >= expected) resolve();
    });
    pipe.onEnd(resolve);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  pipe.close();
  if (received < expected) throw new Error(`got ${received} of ${expected} bytes`);
  return received / MB / seconds;
}

/** One byte to the echo and back, `rounds` times: p50 and p99 in microseconds. */
async function roundTrip(target, rounds) {
  const pipe = await openPipe(target);
  const times = [];
  let waiting;
  pipe.onData(() => waiting?.());
  const one = Buffer.from('x');
  for (let i = 0; i < rounds; i += 1) {
    const started = process.hrtime.bigint();
    await new Promise((resolve) => {
      waiting = resolve;
      pipe.write(one);
    });
    times.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  pipe.close();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(rounds * 0.5)], p99: times[Math.floor(rounds * 0.99)] };
}

/** Opens `count` idle tunnels; returns a function that closes them. */
async function openIdleTunnels(url, token, count) {
  const sockets = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, () => openTunnel(url, token));
    sockets.push(...(await Promise.all(batch)));
  }
  return () => sockets.forEach((pipe) => pipe.close());
}

module.exports = { upload, download, roundTrip, openIdleTunnels, MB };
