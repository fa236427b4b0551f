import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { silentLogger } from '../logger';
import { startTcpServer, waitUntil, type TcpFixture } from '../testing/fixtures';
import { TEST_TIMEOUT_MS, WAIT_MS } from '../testing/test-timeouts';
import type { Throttle } from './pause-gate';
import { Tunnel } from './tunnel';

jest.setTimeout(TEST_TIMEOUT_MS);

// The rate limit seam: a Throttle decides how long a direction waits; the Tunnel holds
// the source meanwhile. Exercised here with a fixed delay, not a real limiter.
describe('Tunnel with a Throttle', () => {
  let echo: TcpFixture;
  let wss: WebSocketServer;
  const clients: WebSocket[] = [];

  beforeEach(async () => {
    echo = await startTcpServer();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await echo.close();
  });

  async function tunnelThrough(toUpstream: Throttle): Promise<WebSocket> {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    wss.on('connection', (ws) => {
      const upstream = connect(echo.address.port, echo.address.host);
      new Tunnel(ws, upstream, { idleTimeoutMs: 60_000, pingIntervalMs: 60_000, toUpstream }, {
        logger: silentLogger,
        context: {},
        onEnd: () => undefined,
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    clients.push(ws);
    await once(ws, 'open');
    return ws;
  }

  async function gapBetweenTwoEchoes(ws: WebSocket): Promise<number> {
    const arrivals: number[] = [];
    ws.on('message', () => arrivals.push(Date.now()));
    ws.send('a');
    await waitUntil(() => arrivals.length === 1, WAIT_MS, 'the first echo');
    ws.send('b');
    await waitUntil(() => arrivals.length === 2, WAIT_MS, 'the second echo');
    return (arrivals[1] ?? 0) - (arrivals[0] ?? 0);
  }

  it('holds the client side for as long as the throttle says after each message', async () => {
    const delays: number[] = [];
    const ws = await tunnelThrough({ delayAfter: (bytes) => (delays.push(bytes), 300) });
    expect(await gapBetweenTwoEchoes(ws)).toBeGreaterThanOrEqual(250);
    expect(delays).toEqual([1, 1]);
  });

  it('does not wait when the throttle says zero', async () => {
    const ws = await tunnelThrough({ delayAfter: () => 0 });
    expect(await gapBetweenTwoEchoes(ws)).toBeLessThan(250);
  });
});
