/**
 * Runs the real `porthole` CLI (`node packages/cli/dist/main.js`, built by `tsc -b`) as a
 * child process, as a user would: arguments, environment, stdio, signals, exit codes.
 *
 *   const result = await runPorthole(['forward', 'ls', 'web', '--json'], env);
 *   const connect = await startPortholeConnect(['pf_abc'], env);   // waits for "Forwarding from"
 *   ... redis-cli -p connect.port ...
 *   expect(await connect.stop()).toEqual({ code: 0, signal: null });  // Ctrl-C
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitFor } from './timeouts';

export const CLI_ENTRY = path.resolve(__dirname, '../../packages/cli/dist/main.js');

export type CliEnv = Record<string, string | undefined>;

const configHomes: string[] = [];

/** An environment with only what the CLI needs, and a config home of its own. */
export function cliEnv(extra: CliEnv = {}): CliEnv {
  const home = mkdtempSync(path.join(tmpdir(), 'porthole-e2e-'));
  configHomes.push(home);
  return { PATH: process.env['PATH'], XDG_CONFIG_HOME: home, ...extra };
}

/** Removes the config homes cliEnv made (afterAll). */
export function removeCliConfigHomes(): void {
  for (const home of configHomes.splice(0)) rmSync(home, { recursive: true, force: true });
}

export interface CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stdoutBytes(): Buffer;
  stderr(): string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnPorthole(args: readonly string[], env: CliEnv): CliProcess {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stdoutBytes: () => Buffer.concat(out),
    stderr: () => err,
    exited,
  };
}

/** Runs a command to its end (stdin closed at once unless `input` is given). */
export async function runPorthole(
  args: readonly string[],
  env: CliEnv,
  input = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = spawnPorthole(args, env);
  run.child.stdin.end(input);
  const { code } = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

export interface ConnectProcess extends CliProcess {
  /** The local port it printed in "Forwarding from HOST:PORT". */
  readonly port: number;
  /** Ctrl-C (SIGINT), then the exit status. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `porthole connect ARGS`, once it says where it listens. */
export async function startPortholeConnect(args: readonly string[], env: CliEnv): Promise<ConnectProcess> {
  const run = spawnPorthole(['connect', ...args], env);
  let exitedEarly = false;
  void run.exited.then(() => (exitedEarly = true));
  const port = await waitFor(
    'the "Forwarding from" line',
    () => {
      if (exitedEarly) throw new Error(`porthole connect exited: ${run.stderr()}`);
      const match = /Forwarding from (?:\[[^\]]+\]|[^\s:]+):(\d+)/.exec(run.stdout());
      return match ? Number(match[1]) : undefined;
    },
    10_000,
  );
  return {
    ...run,
    port,
    stop: () => {
      run.child.kill('SIGINT');
      return run.exited;
    },
  };
}
