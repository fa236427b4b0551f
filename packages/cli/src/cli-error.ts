/** Exit codes of the `porthole` command. */
export const ExitCode = {
  ok: 0,
  /** The server refused, could not be reached, or a tunnel failed. */
  failure: 1,
  /** The command line itself is wrong: nothing was sent anywhere. */
  usage: 2,
  /** A second Ctrl-C while a clean stop was under way. */
  interrupted: 130,
} as const;

/**
 * An error the user should see as one line on stderr (`porthole: <message>`), ending the
 * command with `exitCode`. Anything else thrown is a bug and is shown with its stack.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A wrong command line; the message names the usage that would have been right. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.usage);
    this.name = 'UsageError';
  }
}

/** Control characters from a server or a file must not reach a terminal as escapes. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}
