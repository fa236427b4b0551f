import { PortholeApi, type BrowserLink } from '../api/porthole-api';
import { ExitCode, UsageError } from '../cli-error';
import type { CliContext } from '../cli-context';
import { flag, parseCommand, parsePort, stringOption, type CommandSpec } from '../command-line';
import { resolveSettings } from '../config/settings';
import { asJson, forwardDetails, forwardTable } from '../output/forward-view';
import { FORWARD_HELP } from './help';

const JSON_OPTION = { json: { type: 'boolean' } } as const;

export const CREATE: CommandSpec = {
  usage: 'porthole forward create <container> <port> [--name NAME] [--local-port PORT] [--domain DOMAIN] [--json]',
  options: { ...JSON_OPTION, name: { type: 'string' }, 'local-port': { type: 'string' }, domain: { type: 'string' } },
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

export const DOMAIN: CommandSpec = {
  usage: 'porthole forward domain <container> <forward id> <domain | --clear> [--json]',
  options: { ...JSON_OPTION, clear: { type: 'boolean' } },
  positionals: ['container', 'forward id'],
  optionalPositionals: ['domain'],
};

/** `porthole forward create|ls|rm|link|domain ...`: the REST API, as tables for people or JSON for scripts. */
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
    case 'domain':
      return domain(rest, context);
    case undefined:
      context.stderr.write(FORWARD_HELP);
      return ExitCode.usage;
    case 'help':
    case '--help':
    case '-h':
      context.stdout.write(FORWARD_HELP);
      return ExitCode.ok;
    default:
      throw new UsageError(`unknown command "forward ${sub}"; use create, ls, rm, link or domain`);
  }
}

async function create(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, CREATE);
  if (command.help) return usage(CREATE, context);
  const [container = '', port = ''] = command.positionals;
  const name = stringOption(command, 'name');
  const localPort = stringOption(command, 'local-port');
  const customDomain = stringOption(command, 'domain');
  const request = {
    container_port: parsePort(port, '<port>'),
    ...(localPort !== undefined ? { local_port: parsePort(localPort, '--local-port') } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(customDomain !== undefined ? { custom_domain: customDomain } : {}),
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
  context.stdout.write(flag(command, 'json') ? asJson(issued) : linkText(issued));
  return ExitCode.ok;
}

function linkText(link: BrowserLink): string {
  if (link.custom_domain_url === undefined) return `${link.url}\nOpen it in a browser before ${link.expires_at}; it works once.\n`;
  // One token behind both addresses: whichever is opened first uses it up.
  return `${link.url}\n${link.custom_domain_url}\nOpen either in a browser before ${link.expires_at}; the link works once, at one of them.\n`;
}

/**
 * Gives a forward a custom domain, moves it, or clears it (README "Custom domains"). The
 * host name is the server's to check: it knows the reserved names and who holds which.
 */
async function domain(args: readonly string[], context: CliContext): Promise<number> {
  const command = parseCommand(args, DOMAIN);
  if (command.help) return usage(DOMAIN, context);
  const [container = '', forwardId = '', name] = command.positionals;
  const clear = flag(command, 'clear');
  if (name !== undefined && clear) throw new UsageError(`give a <domain> or --clear, not both; usage: ${DOMAIN.usage}`);
  if (name === undefined && !clear) throw new UsageError(`missing <domain> (or --clear to remove it); usage: ${DOMAIN.usage}`);
  const forward = await api(context).then((a) => a.setCustomDomain(container, forwardId, name ?? null));
  context.stdout.write(flag(command, 'json') ? asJson(forward) : forwardDetails(forward));
  return ExitCode.ok;
}

async function api(context: CliContext): Promise<PortholeApi> {
  return new PortholeApi(await resolveSettings(context.env), context.signal);
}

function usage(spec: CommandSpec, context: CliContext): number {
  context.stdout.write(`usage: ${spec.usage}\n`);
  return ExitCode.ok;
}
