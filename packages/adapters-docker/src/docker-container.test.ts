import type { RuntimeContainer } from '@porthole/core';
import { dialRoute, sharedNetworkRef, toEngineRef, toRuntimeContainer, type DialRoute } from './docker-container';
import { UnexpectedEngineAnswer, type ContainerInspect } from './docker-inspect';

const ID = '3f2a9c1d7e44b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5';
const STARTED = '2026-12-03T12:00:00.123456789Z';

type StateOverrides = Partial<ContainerInspect['State']>;

/** An inspect answer as the engine sends it for a running bridge container, with overrides. */
function inspect(overrides: Omit<Partial<ContainerInspect>, 'State'> & { State?: StateOverrides } = {}): ContainerInspect {
  const { State, ...rest } = overrides;
  return {
    Id: ID,
    Name: '/web',
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, StartedAt: STARTED, ...State },
    Config: { Labels: {} },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: {
      IPAddress: '172.17.0.2',
      GlobalIPv6Address: '',
      Networks: { bridge: { IPAddress: '172.17.0.2', GlobalIPv6Address: '' } },
    },
    ...rest,
  };
}

describe('toRuntimeContainer', () => {
  it('keeps the full id and drops the leading slash of the name', () => {
    expect(toRuntimeContainer(inspect())).toEqual({
      id: ID,
      name: 'web',
      running: true,
      paused: false,
      state: 'running',
      incarnation: STARTED,
      owner: null,
    });
  });

  it.each<[string, StateOverrides, boolean, boolean, string]>([
    ['running', {}, true, false, 'running'],
    ['paused (Docker keeps Running=true)', { Status: 'paused', Paused: true }, false, true, 'paused'],
    ['restarting (Docker keeps Running=true)', { Status: 'restarting', Restarting: true }, false, false, 'restarting'],
    ['exited', { Status: 'exited', Running: false }, false, false, 'exited'],
    ['created, never started', { Status: 'created', Running: false, StartedAt: '0001-01-01T00:00:00Z' }, false, false, 'created'],
    ['dead', { Status: 'dead', Running: false }, false, false, 'dead'],
    ['being removed', { Status: 'removing', Running: false }, false, false, 'removing'],
  ])('a container that is %s', (_description, state, running, paused, status) => {
    const container = toRuntimeContainer(inspect({ State: state }));
    expect(container.running).toBe(running);
    expect(container.paused).toBe(paused);
    expect(container.state).toBe(status);
  });

  it.each<[string, ContainerInspect['Config'], string | null]>([
    ['labelled porthole.owner', { Labels: { 'porthole.owner': 'alice', other: 'x' } }, 'alice'],
    ['with other labels only', { Labels: { 'com.example': 'x' } }, null],
    ['with null labels', { Labels: null }, null],
    ['without a config', null, null],
  ])('owner of a container %s', (_description, config, owner) => {
    expect(toRuntimeContainer(inspect({ Config: config })).owner).toBe(owner);
  });

  it('a restart is a new incarnation, a pause is not', () => {
    const first = toRuntimeContainer(inspect());
    const paused = toRuntimeContainer(inspect({ State: { Paused: true, Status: 'paused' } }));
    const restarted = toRuntimeContainer(inspect({ State: { StartedAt: '2026-12-03T12:05:00.000000001Z' } }));
    expect(paused.incarnation).toBe(first.incarnation);
    expect(restarted.incarnation).not.toBe(first.incarnation);
  });
});

describe('toRuntimeContainer for a container in another container’s network namespace', () => {
  const OWNER_ID = 'b'.repeat(64);
  const OWNER_STARTED = '2026-12-03T11:00:00.5Z';
  const owner = (state: StateOverrides = {}) =>
    inspect({ Id: OWNER_ID, Name: '/n', State: { StartedAt: OWNER_STARTED, ...state } });
  const sidecar = (state: StateOverrides = {}) =>
    inspect({
      HostConfig: { NetworkMode: `container:${OWNER_ID}` },
      NetworkSettings: { IPAddress: '', Networks: {} },
      State: state,
    });
  const sameLife = `${STARTED}|${OWNER_ID}@${OWNER_STARTED}`;
  const cutOff = expect.stringMatching(/^without a network \(n, whose network it joined, .+; restart it to rejoin\)$/);

  const paused = { Status: 'paused', Paused: true };
  const exited = { Status: 'exited', Running: false };

  it.each<[string, ContainerInspect, ContainerInspect | null, Partial<RuntimeContainer>]>([
    [
      'runs while the owner runs in the life it joined',
      sidecar(),
      owner(),
      { running: true, paused: false, state: 'running', incarnation: sameLife },
    ],
    [
      'runs while the owner is paused (a paused container keeps its network)',
      sidecar(),
      owner(paused),
      { running: true, incarnation: sameLife },
    ],
    ['is paused when paused itself, in the same life', sidecar(paused), owner(), { running: false, paused: true, incarnation: sameLife }],
    [
      'does not run once the owner stopped, in the same life',
      sidecar(),
      owner(exited),
      {
        running: false,
        paused: false,
        state: 'without a network (n, whose network it joined, is exited; restart it to rejoin)',
        incarnation: sameLife,
      },
    ],
    [
      'does not run while the owner is restarting',
      sidecar(),
      owner({ Status: 'restarting', Restarting: true }),
      { running: false, paused: false, state: cutOff },
    ],
    [
      'does not run, in a new life, once the owner restarted',
      sidecar(),
      owner({ StartedAt: '2026-12-03T12:30:00Z' }),
      {
        running: false,
        paused: false,
        state: 'without a network (n, whose network it joined, was restarted since; restart it to rejoin)',
        incarnation: `${STARTED}|${OWNER_ID}@2026-12-03T12:30:00Z`,
      },
    ],
    [
      'is not paused but cut off when paused after the owner stopped',
      sidecar(paused),
      owner(exited),
      { running: false, paused: false, state: cutOff },
    ],
    [
      'does not run, in a new life, once the owner no longer exists',
      sidecar(),
      null,
      {
        running: false,
        paused: false,
        state: `without a network (${OWNER_ID}, whose network it joined, no longer exists; restart it to rejoin)`,
        incarnation: `${STARTED}|${OWNER_ID}@gone`,
      },
    ],
    [
      'keeps its own word for a state it is in by itself',
      sidecar(exited),
      owner(exited),
      { running: false, state: 'exited', incarnation: sameLife },
    ],
    [
      'runs when it started a fraction later than the owner (text comparison says earlier)',
      sidecar({ StartedAt: '2026-12-03T12:00:00.12345Z' }),
      owner({ StartedAt: '2026-12-03T12:00:00.1234Z' }),
      { running: true },
    ],
  ])('%s', (_description, info, networkOwner, expected) => {
    expect(toRuntimeContainer(info, networkOwner)).toEqual(expect.objectContaining(expected));
  });

  it('is a new life when it restarts itself into the owner’s namespace', () => {
    const before = toRuntimeContainer(sidecar(), owner());
    const after = toRuntimeContainer(sidecar({ StartedAt: '2026-12-03T12:40:00Z' }), owner({ StartedAt: '2026-12-03T12:30:00Z' }));
    expect(after).toMatchObject({ running: true, incarnation: `2026-12-03T12:40:00Z|${OWNER_ID}@2026-12-03T12:30:00Z` });
    expect(after.incarnation).not.toBe(before.incarnation);
  });

  it('refuses a start time it cannot compare', () => {
    expect(() => toRuntimeContainer(sidecar(), owner({ StartedAt: 'yesterday' }))).toThrow(UnexpectedEngineAnswer);
  });

  it.each<[string, string | undefined, string | null]>([
    ['container:<id>', `container:${OWNER_ID}`, OWNER_ID],
    ['container:<name> (older engines)', 'container:n', 'n'],
    ['bridge', 'bridge', null],
    ['host', 'host', null],
    ['no network mode', undefined, null],
  ])('sharedNetworkRef of %s', (_description, mode, ref) => {
    expect(sharedNetworkRef(inspect({ HostConfig: mode === undefined ? {} : { NetworkMode: mode } }))).toBe(ref);
  });
});

describe('dialRoute', () => {
  const endpoint = (IPAddress: string, GlobalIPv6Address = '') => ({ IPAddress, GlobalIPv6Address });

  it.each<[string, Partial<ContainerInspect>, DialRoute]>([
    ['the default bridge', {}, { kind: 'address', host: '172.17.0.2' }],
    ['the host network: loopback', { HostConfig: { NetworkMode: 'host' } }, { kind: 'address', host: '127.0.0.1' }],
    [
      'a named network it was started on, over others listed first',
      {
        HostConfig: { NetworkMode: 'web' },
        NetworkSettings: { IPAddress: '', Networks: { apps: endpoint('10.0.1.5'), web: endpoint('10.0.2.7') } },
      },
      { kind: 'address', host: '10.0.2.7' },
    ],
    [
      'the first network with an address when the named one has none',
      {
        HostConfig: { NetworkMode: 'web' },
        NetworkSettings: { IPAddress: '', Networks: { web: endpoint(''), apps: endpoint('10.0.1.5') } },
      },
      { kind: 'address', host: '10.0.1.5' },
    ],
    [
      'the legacy top-level address when no network has one',
      { NetworkSettings: { IPAddress: '172.17.0.9', Networks: { bridge: endpoint('') } } },
      { kind: 'address', host: '172.17.0.9' },
    ],
    [
      'a network listed as null is skipped',
      { NetworkSettings: { IPAddress: '', Networks: { broken: null, bridge: endpoint('172.17.0.4') } } },
      { kind: 'address', host: '172.17.0.4' },
    ],
    [
      'an IPv6-only network',
      { NetworkSettings: { IPAddress: '', Networks: { v6: endpoint('', 'fd00::5') } } },
      { kind: 'address', host: 'fd00::5' },
    ],
    [
      'another container’s network namespace',
      { HostConfig: { NetworkMode: `container:${ID}` }, NetworkSettings: { IPAddress: '', Networks: {} } },
      { kind: 'shared', containerRef: ID },
    ],
    [
      'no network at all',
      { HostConfig: { NetworkMode: 'none' }, NetworkSettings: { IPAddress: '', Networks: { none: endpoint('') } } },
      { kind: 'none', why: 'it runs with --network none' },
    ],
    [
      'networks without addresses (not attached yet)',
      { NetworkSettings: { IPAddress: '', Networks: { bridge: endpoint('') } } },
      { kind: 'none', why: 'it has no address on any network' },
    ],
    ['no network settings at all', { NetworkSettings: null }, { kind: 'none', why: 'it has no address on any network' }],
  ])('%s', (_description, overrides, route) => {
    expect(dialRoute(inspect(overrides), '127.0.0.1')).toEqual(route);
  });

  it('uses the configured address for host-network containers', () => {
    expect(dialRoute(inspect({ HostConfig: { NetworkMode: 'host' } }), '10.9.8.7')).toEqual({
      kind: 'address',
      host: '10.9.8.7',
    });
  });
});

describe('toEngineRef', () => {
  it.each<[string, string, string | null]>([
    ['a full id', ID, ID],
    ['a short id', ID.slice(0, 12), ID.slice(0, 12)],
    ['a name', 'web', 'web'],
    ['a name with dots, dashes and underscores', 'my_app.web-1', 'my_app.web-1'],
    ['a name with the engine’s leading slash, sent without it', '/web', 'web'],
    ['an empty string', '', null],
    ['just a slash', '/', null],
    ['two slashes (the engine would redirect)', '//web', null],
    ['a path escaping /containers', '../images/json', null],
    ['a dot segment', '..', null],
    ['a query', 'web?all=1', null],
    ['an encoded slash', 'web%2F..', null],
    ['whitespace', 'web 1', null],
    ['a name starting with a dot', '.web', null],
    ['something absurdly long', 'a'.repeat(300), null],
  ])('%s', (_description, ref, engineRef) => {
    expect(toEngineRef(ref)).toBe(engineRef);
  });
});
