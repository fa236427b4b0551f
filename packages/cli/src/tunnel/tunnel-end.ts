import type { RelayEnd } from './tunnel-relay';

/**
 * The line to show when a tunnel ended in a way worth telling (README, "Tunnel", lists
 * the server's codes), or undefined for an ordinary end: the app closed its side
 * (1000 "upstream closed"), or this side closed it.
 */
export function describeTunnelEnd(end: RelayEnd): string | undefined {
  if (end.lostServer) return 'tunnel lost: the server stopped answering pings';
  // This side asked for the close (EOF, Ctrl-C); a server slow to confirm it changes nothing.
  if (end.closedBy === 'client') return undefined;
  if (end.code === 1000 && end.reason !== 'port forward removed') return undefined;
  // 1006 is never sent: ws reports it when the connection ended without a close frame.
  if (end.code === 1006) return 'tunnel dropped: the connection to the server broke (1006)';
  const why = end.reason === '' ? '' : ` ${end.reason}`;
  return `tunnel closed by the server: ${end.code}${why}`;
}

/** Whether the tunnel ended as a tunnel should: closed by this side, or cleanly by the server. */
export function endedCleanly(end: RelayEnd): boolean {
  if (end.lostServer) return false;
  return end.closedBy === 'client' || end.code === 1000;
}
