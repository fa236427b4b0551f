import { describeTunnelEnd, endedCleanly } from './tunnel-end';
import type { RelayEnd } from './tunnel-relay';

const end = (code: number, reason: string, closedBy: RelayEnd['closedBy'] = 'server', lostServer = false): RelayEnd => ({
  code,
  reason,
  closedBy,
  lostServer,
});

describe('how a tunnel ended', () => {
  it.each<[string, RelayEnd, string | undefined, boolean]>([
    ['the app closed its side', end(1000, 'upstream closed'), undefined, true],
    ['this side closed it (EOF, Ctrl-C)', end(1000, 'client finished sending', 'client'), undefined, true],
    ['this side closed it and the server never confirmed', end(1006, '', 'client'), undefined, true],
    ['the forward was removed', end(1000, 'port forward removed'), 'tunnel closed by the server: 1000 port forward removed', true],
    ['the server is shutting down', end(1001, 'server shutting down'), 'tunnel closed by the server: 1001 server shutting down', false],
    ['the tunnel was idle too long', end(4000, 'idle timeout'), 'tunnel closed by the server: 4000 idle timeout', false],
    ['the app failed', end(1011, 'upstream error: ECONNRESET'), 'tunnel closed by the server: 1011 upstream error: ECONNRESET', false],
    ['the connection broke', end(1006, ''), 'tunnel dropped: the connection to the server broke (1006)', false],
    ['the server stopped answering pings', end(1006, '', 'client', true), 'tunnel lost: the server stopped answering pings', false],
  ])('%s', (_description, tunnelEnd, line, clean) => {
    expect(describeTunnelEnd(tunnelEnd)).toBe(line);
    expect(endedCleanly(tunnelEnd)).toBe(clean);
  });
});
