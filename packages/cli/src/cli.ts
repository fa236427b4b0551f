import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError, ExitCode, UsageError } from './cli-error';
import type { CliContext } from './cli-context';
import { connectCommand } from './commands/connect.command';
import { forwardCommand } from './commands/forward.command';
import { MAIN_HELP } from './commands/help';
import { loginCommand } from './commands/login.command';

function version(): string {
  // Read at run time: package.json sits outside rootDir, one level above src/ and dist/ alike.
  const file = path.join(__dirname, '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/**
 * Runs one `porthole` command line and resolves with its exit code. Expected failures
 * (CliError) become one `porthole: <message>` line on stderr; anything else is a bug
 * and shows its stack.
 */
export async function runCli(argv: readonly string[], context: CliContext): Promise<number> {
  try {
    return await dispatch(argv, context);
  } catch (error) {
    if (error instanceof CliError) {
      context.stderr.write(`porthole: ${error.message}\n`);
      return error.exitCode;
    }
    context.stderr.write(`porthole: unexpected error (a bug; please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.failure;
  }
}

async function dispatch(argv: readonly string[], context: CliContext): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'login':
      return loginCommand(rest, context);
    case 'forward':
    case 'forwards':
      return forwardCommand(rest, context);
    case 'connect':
      return connectCommand(rest, context);
    case '--version':
    case '-v':
      context.stdout.write(`porthole ${version()}\n`);
      return ExitCode.ok;
    case 'help':
    case '--help':
    case '-h':
      context.stdout.write(MAIN_HELP);
      return ExitCode.ok;
    case undefined:
      context.stderr.write(MAIN_HELP);
      return ExitCode.usage;
    default:
      throw new UsageError(`unknown command "${command}"; run \`porthole --help\``);
  }
}
