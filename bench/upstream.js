// The app every benchmark talks to, in a process of its own, on loopback:
// - HTTP on HTTP_PORT: GET /1k and /1m answer fixed bodies (1 KiB, 1 MiB);
// - TCP on SINK_PORT: the client first sends the byte count it will send (8 bytes, big
//   endian), then the bytes; once they have all arrived the sink answers "<count>\n" (a
//   WebSocket tunnel has no half-close to signal the end with);
// - TCP on SOURCE_PORT: sends SOURCE_BYTES at once, honouring backpressure, then ends;
// - TCP on ECHO_PORT: echoes.
// Prints one JSON line with its ports when listening.
const http = require('node:http');
const net = require('node:net');

const SOURCE_BYTES = Number(process.env.SOURCE_BYTES ?? 256 * 1024 * 1024);
const bodies = { '/1k': Buffer.alloc(1024, 'a'), '/1m': Buffer.alloc(1024 * 1024, 'b') };

const httpServer = http.createServer((req, res) => {
  const body = bodies[req.url] ?? bodies['/1k'];
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
  res.end(body);
});
httpServer.keepAliveTimeout = 60_000;

const sink = net.createServer({ allowHalfOpen: true }, (socket) => {
  let header = Buffer.alloc(0);
  let expected = -1;
  let count = 0;
  socket.on('data', (chunk) => {
    if (expected < 0) {
      header = Buffer.concat([header, chunk]);
      if (header.length < 8) return;
      expected = Number(header.readBigUInt64BE(0));
      chunk = header.subarray(8);
    }
    count += chunk.length;
    if (count >= expected) socket.end(`${count}\n`);
  });
  socket.on('end', () => socket.end());
  socket.on('error', () => socket.destroy());
});

const chunk = Buffer.alloc(64 * 1024, 'c');
const source = net.createServer((socket) => {
  let left = SOURCE_BYTES;
  socket.on('error', () => socket.destroy());
  const pump = () => {
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      if (!socket.write(piece)) return socket.once('drain', pump);
    }
    socket.end();
  };
  pump();
});

const echo = net.createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.pipe(socket);
});

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
Promise.all([listen(httpServer), listen(sink), listen(source), listen(echo)]).then(([httpPort, sinkPort, sourcePort, echoPort]) => {
  process.stdout.write(JSON.stringify({ httpPort, sinkPort, sourcePort, echoPort, sourceBytes: SOURCE_BYTES }) + '\n');
});
