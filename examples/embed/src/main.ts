import { once } from 'node:events';
import { DockerContainerRuntime, dockerFromEnvironment } from '@porthole/adapters-docker';
import type { Logger } from '@porthole/http-api';
import { createPlatform } from './platform';

/** Warnings and errors as JSON lines on stderr; the example is quiet otherwise. */
const logger: Logger = {
  info: () => undefined,
  debug: () => undefined,
  warn: (object, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...object })}\n`),
  error: (object, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...object })}\n`),
};

function fail(message: string): never {
  process.stderr.write(`embed example: ${message}\n`);
  process.exit(1);
}

/**
 * PLATFORM_HOST (127.0.0.1), PLATFORM_PORT (3000), PLATFORM_PUBLIC_URL
 * (http://HOST:PORT/porthole) and DOCKER_HOST, as the Docker CLI reads it.
 */
async function main(): Promise<void> {
  const host = process.env['PLATFORM_HOST'] ?? '127.0.0.1';
  const port = Number(process.env['PLATFORM_PORT'] ?? '3000');
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail('PLATFORM_PORT must be a port number (1-65535).');

  const runtime = new DockerContainerRuntime(dockerFromEnvironment(), {
    log: ({ msg, level, ...rest }) => (level === 'warn' ? logger.warn(rest, msg) : undefined),
  });
  await runtime.ping().catch(() => fail(`no Docker engine answers at ${process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock'}.`));

  const url = `http://${host}:${port}`;
  const publicUrl = process.env['PLATFORM_PUBLIC_URL'] ?? `${url}/porthole`;
  const platform = createPlatform({ runtime, publicUrl, logger });
  await platform.ready;
  platform.server.listen(port, host);
  await Promise.race([
    once(platform.server, 'listening'),
    once(platform.server, 'error').then(([error]) => fail(`cannot listen on ${host}:${port}: ${(error as Error).message}`)),
  ]);
  process.stdout.write(`platform listening on ${url} (Porthole at ${publicUrl})\n`);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 5000).unref();
    void platform.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)));
