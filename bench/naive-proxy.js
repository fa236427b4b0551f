// The naive Node baseline: http-proxy with a keep-alive agent in front of one target, no
// authentication, no lookup, no limits. What a Node developer would write in ten lines.
const http = require('node:http');
const path = require('node:path');
const HttpProxy = require(require.resolve('http-proxy', { paths: [path.join(__dirname, '../packages/http-api')] }));

const target = `http://127.0.0.1:${process.env.TARGET_PORT}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = HttpProxy.createProxyServer({ target, agent });
proxy.on('error', (_error, _req, res) => res.destroy?.());
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n'));
