#!/usr/bin/env node
import { runCli } from './cli';
import { ExitCode } from './cli-error';

/**
 * The `porthole` process: runs the command with the real stdio and environment. The
 * first Ctrl-C (or SIGTERM) asks the command to stop cleanly (tunnels close with 1000);
 * a second one exits at once.
 */
const stop = new AbortController();
const onSignal = () => {
  if (stop.signal.aborted) process.exit(ExitCode.interrupted);
  stop.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// A reader of our stdout that went away (`porthole forward ls | head -1`) is not a crash:
// the command ends as it would have, and --stdio closes its tunnel (see TunnelRelay).
process.stdout.on('error', () => undefined);

runCli(process.argv.slice(2), {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: stop.signal,
}).then(
  // Exit explicitly once stdout has drained: stdin may still hold the event loop open.
  (code) => process.stdout.write('', () => process.exit(code)),
  (error: unknown) => {
    process.stderr.write(`porthole: ${String(error)}\n`);
    process.exit(ExitCode.failure);
  },
);
