import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../cli';
import type { TunnelSettings } from '../cli-context';

/**
 * Runs the CLI in this process, as `main.ts` would run it, with streams the test holds:
 * what it prints, what it reads, and a Ctrl-C to send.
 */
export interface CliRun {
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
  readonly stdin: PassThrough;
  stdout(): string;
  stderr(): string;
  /** The raw bytes written to stdout (for --stdio). */
  stdoutBytes(): Buffer;
  /** Ctrl-C. */
  interrupt(): void;
}

export interface CliRunOptions {
  readonly env?: Record<string, string | undefined>;
  readonly tunnel?: Partial<TunnelSettings>;
  /** Pretend stdin is a terminal (for prompts). */
  readonly tty?: boolean;
}

export function startCli(argv: readonly string[], options: CliRunOptions = {}): CliRun {
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  let err = '';
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stop = new AbortController();
  const exited = runCli(argv, {
    stdin,
    stdout,
    stderr,
    env: options.env ?? {},
    signal: stop.signal,
    ...(options.tunnel === undefined ? {} : { tunnel: options.tunnel }),
  });
  return {
    exited,
    stdin,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stderr: () => err,
    stdoutBytes: () => Buffer.concat(out),
    interrupt: () => stop.abort(),
  };
}

/** Runs a command to its end. */
export async function runToEnd(
  argv: readonly string[],
  options: CliRunOptions & { input?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const run = startCli(argv, options);
  run.stdin.end(options.input ?? '');
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

const configHomes: string[] = [];

/** A fresh, empty XDG_CONFIG_HOME, so no test sees a real login or another test's. */
export function freshConfigHome(): string {
  const home = mkdtempSync(path.join(tmpdir(), 'porthole-cli-'));
  configHomes.push(home);
  return home;
}

/** Removes every folder freshConfigHome made (afterAll). */
export function removeConfigHomes(): void {
  for (const home of configHomes.splice(0)) rmSync(home, { recursive: true, force: true });
}

/** Polls until the stdout of `run` has the "Forwarding from HOST:PORT" line; its port. */
export async function listeningPort(run: CliRun, timeoutMs = 5_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /Forwarding from (?:\[[^\]]+\]|[^\s:]+):(\d+)/.exec(run.stdout());
    if (match) return Number(match[1]);
    const code = await Promise.race([run.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 10))]);
    if (code !== undefined) throw new Error(`porthole connect exited with ${code}: ${run.stderr()}`);
    if (Date.now() > deadline) throw new Error(`porthole connect printed no "Forwarding from" line: ${run.stdout()} ${run.stderr()}`);
  }
}
