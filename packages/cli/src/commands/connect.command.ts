import { isIP } from 'node:net';
import { ExitCode, UsageError } from '../cli-error';
import { tunnelSettings, type CliContext } from '../cli-context';
import { flag, parseCommand, parsePort, stringOption, type CommandSpec } from '../command-line';
import { LocalListener } from '../tunnel/local-listener';
import { openTunnel } from '../tunnel/open-tunnel';
import { describeTunnelEnd, endedCleanly } from '../tunnel/tunnel-end';
import { TunnelRelay } from '../tunnel/tunnel-relay';
import { resolveTunnelTarget, type TunnelTarget } from '../tunnel/tunnel-target';
import { CONNECT_HELP } from './help';

export const CONNECT: CommandSpec = {
  usage: 'porthole connect <forward id | websocket url> [--local-port PORT] [--bind ADDRESS] | --stdio <forward id | websocket url>',
  options: { 'local-port': { type: 'string' }, bind: { type: 'string' }, stdio: { type: 'boolean' } },
  positionals: ['forward id | websocket url'],
};

const DEFAULT_BIND = '127.0.0.1';

/** `porthole connect`: a local port (or stdin/stdout) into a forward's tunnel. */
export async function connectCommand(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, CONNECT);
  if (command.help) {
    context.stdout.write(CONNECT_HELP);
    return ExitCode.ok;
  }
  const localPort = stringOption(command, 'local-port');
  const bind = stringOption(command, 'bind');
  if (flag(command, 'stdio') && (localPort !== undefined || bind !== undefined)) {
    throw new UsageError('--stdio uses stdin and stdout, not a local port: drop --local-port and --bind');
  }
  const port = localPort === undefined ? 0 : parsePort(localPort, '--local-port', { allowZero: true });
  const target = await resolveTunnelTarget(command.positionals[0] ?? '', context.env);
  if (flag(command, 'stdio')) return connectStdio(target, context);
  return listen(target, bind ?? DEFAULT_BIND, port, context);
}

async function listen(target: TunnelTarget, host: string, port: number, context: CliContext): Promise<number> {
  if (host === '' || (isIP(host) === 0 && host !== 'localhost')) {
    throw new UsageError(`--bind must be a local IP address (or localhost), not "${host}"`);
  }
  const listener = new LocalListener(target, tunnelSettings(context), context.stderr);
  const address = await listener.listen(port, host);
  const where = address.family === 'IPv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
  if (!isLoopback(address.address)) {
    // Connections to the local port carry no credential: whoever reaches it uses our token.
    context.stderr.write(`porthole: note: ${where} is not a loopback address; anyone who reaches it gets through this tunnel\n`);
  }
  context.stdout.write(`Forwarding from ${where} -> ${target.label} (Ctrl-C to stop)\n`);
  const stopped = new Promise<void>((resolve) => {
    if (context.signal.aborted) resolve();
    context.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  try {
    await Promise.race([stopped, listener.failed]);
    return ExitCode.ok;
  } finally {
    await listener.stop();
  }
}

async function connectStdio(target: TunnelTarget, context: CliContext): Promise<number> {
  const tunnel = await openTunnel(target.url, target.token, context.signal);
  const relay = new TunnelRelay(tunnel, { input: context.stdin, output: context.stdout, endOutput: false }, tunnelSettings(context));
  const stop = () => relay.close(1000, 'porthole connect stopped');
  context.signal.addEventListener('abort', stop, { once: true });
  const end = await relay.ended;
  context.signal.removeEventListener('abort', stop);
  const line = describeTunnelEnd(end);
  if (line !== undefined) context.stderr.write(`porthole: ${line}\n`);
  return endedCleanly(end) ? ExitCode.ok : ExitCode.failure;
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1';
}
