import { PortholeApi } from '../api/porthole-api';
import { ExitCode, UsageError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { parseCommand, stringOption, type CommandSpec } from '../command-line';
import { configFilePath, writeSavedLogin } from '../config/config-file';
import { normalizeServerUrl } from '../config/settings';
import { LinePrompt } from './line-prompt';

export const LOGIN: CommandSpec = {
  usage: 'porthole login [--url URL] [--token TOKEN]',
  options: { url: { type: 'string' }, token: { type: 'string' } },
  positionals: [],
};

/**
 * `porthole login`: takes the URL and token from the flags, else from PORTHOLE_URL /
 * PORTHOLE_TOKEN, else asks (the token without echo on a terminal; from a pipe, one
 * line each, so `printf '%s\n' "$TOKEN" | porthole login --url ...` keeps the token out
 * of the process list). Saves them only once the server accepted them.
 */
export async function loginCommand(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, LOGIN);
  if (command.help) {
    context.stdout.write(`usage: ${LOGIN.usage}\n`);
    return ExitCode.ok;
  }
  const prompt = new LinePrompt(context);
  let url: string;
  let token: string;
  try {
    url = normalizeServerUrl(
      stringOption(command, 'url') ?? nonEmpty(context.env['PORTHOLE_URL']) ?? (await prompt.ask('Porthole URL: ', { secret: false })) ?? missing('URL', '--url'),
    );
    token =
      stringOption(command, 'token') ?? nonEmpty(context.env['PORTHOLE_TOKEN']) ?? (await prompt.ask('Token: ', { secret: true })) ?? missing('token', '--token');
  } finally {
    prompt.close();
  }
  if (token === '') missing('token', '--token');

  await new PortholeApi({ url, token }, context.signal).verifyLogin();
  const file = configFilePath(context.env);
  await writeSavedLogin(file, { url, token });
  context.stdout.write(`Logged in to ${url}; saved in ${file}.\n`);
  // Otherwise the next command would quietly use something else than what was just saved.
  for (const [name, saved] of [['PORTHOLE_URL', url], ['PORTHOLE_TOKEN', token]] as const) {
    const value = nonEmpty(context.env[name]);
    if (value !== undefined && value !== saved) context.stderr.write(`porthole: note: ${name} is set and wins over the saved login\n`);
  }
  return ExitCode.ok;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function missing(what: string, option: string): never {
  throw new UsageError(`no ${what} given: pass ${option}, or type it when asked; usage: ${LOGIN.usage}`);
}
