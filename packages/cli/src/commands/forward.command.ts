import { PortholeApi } from '../api/porthole-api';
import { ExitCode, UsageError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { flag, parseCommand, parsePort, stringOption, type CommandSpec } from '../command-line';
import { resolveSettings } from '../config/settings';
import { asJson, forwardDetails, forwardTable } from '../output/forward-view';
import { FORWARD_HELP } from './help';

const JSON_OPTION = { json: { type: 'boolean' } } as const;

export const CREATE: CommandSpec = {
  usage: 'porthole forward create <container> <port> [--name NAME] [--local-port PORT] [--json]',
  options: { ...JSON_OPTION, name: { type: 'string' }, 'local-port': { type: 'string' } },
  positionals: ['container', 'port'],
};

export const LIST: CommandSpec = {
  usage: 'porthole forward ls <container> [--json]',
  options: JSON_OPTION,
  positionals: ['container'],
};

export const REMOVE: CommandSpec = {
  usage: 'porthole forward rm <container> <forward id> [--json]',
  options: JSON_OPTION,
  positionals: ['container', 'forward id'],
};

export const LINK: CommandSpec = {
  usage: 'porthole forward link <container> <forward id> [--json]',
  options: JSON_OPTION,
  positionals: ['container', 'forward id'],
};

/** `porthole forward create|ls|rm|link ...`: the REST API, as tables for people or JSON for scripts. */
export async function forwardCommand(args: readonly string[], context: CliContext): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return create(rest, context);
    case 'ls':
    case 'list':
      return list(rest, context);
    case 'rm':
    case 'remove':
      return remove(rest, context);
    case 'link':
      return link(rest, context);
    case undefined:
      context.stderr.write(FORWARD_HELP);
      return ExitCode.usage;
    case 'help':
    case '--help':
    case '-h':
      context.stdout.write(FORWARD_HELP);
      return ExitCode.ok;
    default:
      throw new UsageError(`unknown command "forward ${sub}"; use create, ls, rm or link`);
  }
}

async function create(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, CREATE);
  if (command.help) return usage(CREATE, context);
  const [container = '', port = ''] = command.positionals;
  const name = stringOption(command, 'name');
  const localPort = stringOption(command, 'local-port');
  const request = {
    container_port: parsePort(port, '<port>'),
    ...(localPort !== undefined ? { local_port: parsePort(localPort, '--local-port') } : {}),
    ...(name !== undefined ? { name } : {}),
  };
  const forward = await api(context).then((a) => a.createForward(container, request));
  context.stdout.write(flag(command, 'json') ? asJson(forward) : forwardDetails(forward));
  return ExitCode.ok;
}

async function list(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, LIST);
  if (command.help) return usage(LIST, context);
  const [container = ''] = command.positionals;
  const forwards = await api(context).then((a) => a.listForwards(container));
  if (flag(command, 'json')) context.stdout.write(asJson(forwards));
  else if (forwards.length === 0) context.stdout.write(`No forwards for ${container}.\n`);
  else context.stdout.write(forwardTable(forwards));
  return ExitCode.ok;
}

async function remove(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, REMOVE);
  if (command.help) return usage(REMOVE, context);
  const [container = '', forwardId = ''] = command.positionals;
  await api(context).then((a) => a.deleteForward(container, forwardId));
  context.stdout.write(flag(command, 'json') ? asJson({ id: forwardId, removed: true }) : `Removed ${forwardId}.\n`);
  return ExitCode.ok;
}

/** A one-time link that opens the forward in a browser (README "Browsers"). */
async function link(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, LINK);
  if (command.help) return usage(LINK, context);
  const [container = '', forwardId = ''] = command.positionals;
  const issued = await api(context).then((a) => a.createLink(container, forwardId));
  context.stdout.write(
    flag(command, 'json') ? asJson(issued) : `${issued.url}\nOpen it in a browser before ${issued.expires_at}; it works once.\n`,
  );
  return ExitCode.ok;
}

async function api(context: CliContext): Promise<PortholeApi> {
  return new PortholeApi(await resolveSettings(context.env), context.signal);
}

function usage(spec: CommandSpec, context: CliContext): number {
  context.stdout.write(`usage: ${spec.usage}\n`);
  return ExitCode.ok;
}
