import { ExitCode, UsageError } from './cli-error';
import { parseCommand, parsePort, stringOption, type CommandSpec } from './command-line';
import { runToEnd } from './testing/cli-harness';

const SPEC: CommandSpec = {
  usage: 'porthole thing <a> <b> [--name N] [--json]',
  options: { name: { type: 'string' }, json: { type: 'boolean' } },
  positionals: ['a', 'b'],
};

describe('parseCommand', () => {
  it.each([
    ['positionals and a string option', ['x', 'y', '--name', 'N'], ['x', 'y'], 'N'],
    ['options before positionals', ['--name=N', 'x', 'y'], ['x', 'y'], 'N'],
    ['no options', ['x', 'y'], ['x', 'y'], undefined],
    ['"--" lets a positional start with a dash', ['x', '--', '-y'], ['x', '-y'], undefined],
  ])('accepts %s', (_description, args, positionals, name) => {
    const parsed = parseCommand(args, SPEC);
    expect(parsed.positionals).toEqual(positionals);
    expect(stringOption(parsed, 'name')).toBe(name);
  });

  it.each([
    ['an unknown option', ['x', 'y', '--nmae', 'N'], 'unknown option --nmae; usage: porthole thing <a> <b> [--name N] [--json]'],
    ['a missing positional', ['x'], 'missing <b>; usage: porthole thing <a> <b> [--name N] [--json]'],
    ['two missing positionals', [], 'missing <a> <b>; usage: porthole thing <a> <b> [--name N] [--json]'],
    ['an extra positional', ['x', 'y', 'z'], 'unexpected argument "z"; usage: porthole thing <a> <b> [--name N] [--json]'],
    ['a string option without its value', ['x', 'y', '--name'], '--name needs a value; usage: porthole thing <a> <b> [--name N] [--json]'],
    ['a value for a flag', ['x', 'y', '--json=yes'], '--json takes no value; usage: porthole thing <a> <b> [--name N] [--json]'],
  ])('refuses %s with one line', (_description, args, message) => {
    expect(() => parseCommand(args, SPEC)).toThrow(new UsageError(message));
  });

  const OPTIONAL: CommandSpec = { ...SPEC, usage: 'porthole thing <a> <b> [<c>]', optionalPositionals: ['c'] };

  it.each([
    ['the required positionals alone', ['x', 'y'], ['x', 'y']],
    ['an optional positional after them', ['x', 'y', 'z'], ['x', 'y', 'z']],
  ])('with an optional positional, accepts %s', (_description, args, positionals) => {
    expect(parseCommand(args, OPTIONAL).positionals).toEqual(positionals);
  });

  it.each([
    ['a missing required positional', ['x'], 'missing <b>; usage: porthole thing <a> <b> [<c>]'],
    ['one positional past the optional ones', ['x', 'y', 'z', 'w'], 'unexpected argument "w"; usage: porthole thing <a> <b> [<c>]'],
  ])('with an optional positional, refuses %s', (_description, args, message) => {
    expect(() => parseCommand(args, OPTIONAL)).toThrow(new UsageError(message));
  });

  it('--help wins over missing positionals', () => {
    expect(parseCommand(['--help'], SPEC).help).toBe(true);
  });
});

describe('parsePort', () => {
  it.each([
    ['the lowest port', '1', {}, 1],
    ['the highest port', '65535', {}, 65535],
    ['zero where allowed (any free port)', '0', { allowZero: true }, 0],
  ])('accepts %s', (_description, raw, options, port) => {
    expect(parsePort(raw, '<port>', options)).toBe(port);
  });

  it.each([
    ['zero', '0'],
    ['too high', '65536'],
    ['not a number', 'http'],
    ['a sign', '+80'],
    ['a fraction', '80.5'],
    ['empty', ''],
  ])('refuses %s', (_description, raw) => {
    expect(() => parsePort(raw, '<port>')).toThrow(`<port> must be a port number (1-65535), not "${raw}"`);
  });
});

describe('the porthole command line', () => {
  it.each([
    ['no command', [], ExitCode.usage, 'stderr', 'usage:'],
    ['--help', ['--help'], ExitCode.ok, 'stdout', 'porthole forward create <container> <port>'],
    ['--version', ['--version'], ExitCode.ok, 'stdout', 'porthole 0.1.0'],
    ['forward --help', ['forward', '--help'], ExitCode.ok, 'stdout', 'porthole forward rm <container> <forward id>'],
    ['connect --help', ['connect', '--help'], ExitCode.ok, 'stdout', '--stdio'],
    ['forward create --help', ['forward', 'create', '--help'], ExitCode.ok, 'stdout', 'usage: porthole forward create'],
    ['forward domain --help', ['forward', 'domain', '--help'], ExitCode.ok, 'stdout', 'usage: porthole forward domain <container> <forward id> <domain | --clear> [--json]\n'],
    ['an unknown command', ['frobnicate'], ExitCode.usage, 'stderr', 'porthole: unknown command "frobnicate"; run `porthole --help`\n'],
    ['an unknown forward command', ['forward', 'zap'], ExitCode.usage, 'stderr', 'porthole: unknown command "forward zap"; use create, ls, rm, link or domain\n'],
    ['a port that is not a number', ['forward', 'create', 'web', 'http'], ExitCode.usage, 'stderr', 'porthole: <port> must be a port number (1-65535), not "http"\n'],
    ['--stdio with --local-port', ['connect', '--stdio', '--local-port', '5432', 'pf_x'], ExitCode.usage, 'stderr', '--stdio uses stdin and stdout'],
    ['an http URL to connect', ['connect', 'http://porthole/p/pf_x/'], ExitCode.usage, 'stderr', 'is neither a forward id nor a ws:// or wss:// tunnel URL'],
    ['a bind address that is a name', ['connect', 'ws://127.0.0.1:1/ws/port-forward/x', '--bind', 'example.org'], ExitCode.usage, 'stderr', '--bind must be a local IP address'],
  ])('%s', async (_description, argv, code, stream, text) => {
    const result = await runToEnd(argv, { env: { PORTHOLE_URL: 'http://127.0.0.1:9', PORTHOLE_TOKEN: 'token-0123456789abcdef' } });
    expect(result.code).toBe(code);
    expect(stream === 'stdout' ? result.stdout : result.stderr).toContain(text);
    if (code !== ExitCode.ok && stream === 'stderr' && text.endsWith('\n')) expect(result.stderr).toBe(text);
  });
});
