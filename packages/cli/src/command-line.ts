import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './cli-error';

type Options = NonNullable<ParseArgsConfig['options']>;

/** One command's shape: its usage line, its options, and its positional arguments. */
export interface CommandSpec {
  /** e.g. `porthole forward ls <container> [--json]`; quoted in every usage error. */
  readonly usage: string;
  readonly options: Options;
  /** Names of the required positionals, in order. */
  readonly positionals: readonly string[];
  /** Names of the positionals that may follow them, in order. */
  readonly optionalPositionals?: readonly string[];
}

export interface ParsedCommand {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  /** `--help` was given: show the usage, parse nothing else. */
  readonly help: boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * node:util's parseArgs with our error wording: one line naming what is wrong and the
 * usage that would be right. Every one of `spec.positionals` is required, and any of
 * `spec.optionalPositionals` may follow; nothing more is accepted.
 */
export function parseCommand(args: readonly string[], spec: CommandSpec): ParsedCommand {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...spec.options, ...HELP }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${describeParseError(error)}; usage: ${spec.usage}`);
  }
  // No option is declared `multiple`, so every value is a string or a boolean.
  const values = parsed.values as ParsedCommand['values'];
  if (values['help'] === true) return { values, positionals: parsed.positionals, help: true };
  const expected = spec.positionals;
  if (parsed.positionals.length < expected.length) {
    throw new UsageError(`missing ${expected.slice(parsed.positionals.length).map((name) => `<${name}>`).join(' ')}; usage: ${spec.usage}`);
  }
  const most = expected.length + (spec.optionalPositionals?.length ?? 0);
  if (parsed.positionals.length > most) {
    throw new UsageError(`unexpected argument "${parsed.positionals[most]}"; usage: ${spec.usage}`);
  }
  return { values, positionals: parsed.positionals, help: false };
}

// Node's messages run to several sentences ("To specify a positional argument starting
// with a '-', ..."); the first clause is the one that says what is wrong.
function describeParseError(error: unknown): string {
  // Under Jest the message also carries a "TypeError [ERR_...]: " prefix: drop it.
  const message = (error instanceof Error ? error.message : String(error)).replace(/^\w*Error \[\w+\]: /, '');
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missingValue = /^Option '(-\S+)[^']*' argument missing/.exec(message);
  if (missingValue) return `${missingValue[1]} needs a value`;
  const notBoolean = /^Option '(-\S+)[^']*' does not take an argument/.exec(message);
  if (notBoolean) return `${notBoolean[1]} takes no value`;
  return message.split('. ')[0] ?? message;
}

/** The value of a string option, if given. */
export function stringOption(command: ParsedCommand, name: string): string | undefined {
  const value = command.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(command: ParsedCommand, name: string): boolean {
  return command.values[name] === true;
}

/** A TCP port given on the command line: digits only, 0 allowed only when `allowZero`. */
export function parsePort(raw: string, what: string, options: { allowZero?: boolean } = {}): number {
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  const min = options.allowZero === true ? 0 : 1;
  if (!Number.isInteger(port) || port < min || port > 65535) {
    throw new UsageError(`${what} must be a port number (${min}-65535), not "${raw}"`);
  }
  return port;
}
