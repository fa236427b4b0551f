/**
 * Runs the real server (`node apps/server/dist/main.js`, built by `npm test`) as a child
 * process, for what only a process shows: the banner, exit codes, signals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from './docker';
import { waitFor } from './timeouts';

export const SERVER_ENTRY = path.resolve(__dirname, '../../apps/server/dist/main.js');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  readonly exited: Promise<number | string>;
}

export function runServer(env: Record<string, string | undefined>): ServerProcess {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    // Forwards in memory unless a test gives PORTHOLE_DATA_DIR: no ./data left in the checkout.
    env: { PATH: process.env['PATH'], DOCKER_HOST: process.env['DOCKER_HOST'], PORTHOLE_LOG_LEVEL: 'warn', PORTHOLE_DATA_DIR: ':memory:', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    url: `http://127.0.0.1:${env['PORTHOLE_PORT'] ?? '8080'}`,
    stdout: () => out,
    stderr: () => err,
    exited,
  };
}

/** Starts the server on a free port and waits for its banner. */
export async function startServer(env: Record<string, string | undefined> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const server = runServer({ PORTHOLE_PORT: String(port), ...env });
  await waitFor(
    'the server banner',
    () => {
      if (server.child.exitCode !== null) throw new Error(`server exited early: ${server.stderr()}`);
      return server.stdout().includes('Porthole is listening on') ? true : undefined;
    },
    10_000,
  );
  return server;
}
