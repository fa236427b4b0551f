import { parseContainerInspect, timestampNanos, UnexpectedEngineAnswer } from './docker-inspect';

const ID = '3f2a9c1d7e44b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5';

/** An inspect answer as the engine sends it (more fields than Porthole reads), with overrides. */
function answer(overrides: Record<string, unknown> = {}, state: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: ID,
    Name: '/web',
    Created: '2026-12-03T11:59:59.5Z',
    State: { Status: 'running', Running: true, Paused: false, Restarting: false, StartedAt: '2026-12-03T12:00:00Z', Pid: 42, ...state },
    Config: { Labels: { 'porthole.owner': 'alice', 'com.example.count': 3 } },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { IPAddress: '172.17.0.2', Networks: { bridge: { IPAddress: '172.17.0.2', GlobalIPv6Address: '' } } },
    ...overrides,
  };
}

describe('parseContainerInspect', () => {
  it.each<[string, unknown]>([
    ['a full answer', answer()],
    ['null config, labels, host config and network settings', answer({ Config: null, HostConfig: null, NetworkSettings: null })],
    ['no config, host config or network settings at all', answer({ Config: undefined, HostConfig: undefined, NetworkSettings: undefined })],
    [
      'null labels, network mode, addresses and networks',
      answer({ Config: { Labels: null }, HostConfig: { NetworkMode: null }, NetworkSettings: { IPAddress: null, Networks: null } }),
    ],
    ['a network listed as null', answer({ NetworkSettings: { Networks: { broken: null } } })],
    ['labels Porthole does not read, of any type', answer({ Config: { Labels: { other: { nested: true } } } })],
  ])('accepts %s, as it is', (_description, raw) => {
    expect(parseContainerInspect(raw)).toBe(raw);
  });

  it.each<[string, unknown, string]>([
    [
      'a body that is not JSON (docker-modem hands over a Buffer)',
      Buffer.from('<html>bad gateway</html>'),
      'the inspect answer is not a JSON object but the body "<html>bad gateway</html>"',
    ],
    [
      'a body of null (docker-modem hands over a Buffer too)',
      Buffer.from('null'),
      'the inspect answer is not a JSON object but the body "null"',
    ],
    ['null', null, 'the inspect answer is not a JSON object but null'],
    ['an array', [answer()], 'the inspect answer is not a JSON object but an array'],
    ['a string', 'ok', 'the inspect answer is not a JSON object but the string "ok"'],
    ['a null State', answer({ State: null }), 'State is not a JSON object but null'],
    ['no State', answer({ State: undefined }), 'State is not a JSON object but missing'],
    ['no Id', answer({ Id: undefined }), 'Id is not a string but missing'],
    ['a numeric Id', answer({ Id: 42 }), 'Id is not a string but number 42'],
    ['an empty Id', answer({ Id: '' }), 'the inspect answer has an empty Id'],
    ['a null Name', answer({ Name: null }), 'Name is not a string but null'],
    ['Running as a string', answer({}, { Running: 'true' }), 'State.Running is not a boolean but the string "true"'],
    ['no Paused', answer({}, { Paused: undefined }), 'State.Paused is not a boolean but missing'],
    ['Restarting as a number', answer({}, { Restarting: 0 }), 'State.Restarting is not a boolean but number 0'],
    ['a null StartedAt', answer({}, { StartedAt: null }), 'State.StartedAt is not a string but null'],
    ['a numeric Status', answer({}, { Status: 1 }), 'State.Status is not a string but number 1'],
    [
      'labels as a list',
      answer({ Config: { Labels: ['porthole.owner=alice'] } }),
      'Config.Labels is not a JSON object but an array',
    ],
    [
      'an owner label that is no string',
      answer({ Config: { Labels: { 'porthole.owner': 7 } } }),
      'Config.Labels["porthole.owner"] is not a string but number 7',
    ],
    ['a config that is a string', answer({ Config: 'x' }), 'Config is not a JSON object but the string "x"'],
    ['a numeric network mode', answer({ HostConfig: { NetworkMode: 1 } }), 'HostConfig.NetworkMode is not a string but number 1'],
    [
      'an address that is an object',
      answer({ NetworkSettings: { IPAddress: {} } }),
      'NetworkSettings.IPAddress is not a string but an object',
    ],
    ['networks as a list', answer({ NetworkSettings: { Networks: [] } }), 'NetworkSettings.Networks is not a JSON object but an array'],
    [
      'a network that is a string',
      answer({ NetworkSettings: { Networks: { bridge: 'up' } } }),
      'NetworkSettings.Networks.bridge is not a JSON object but the string "up"',
    ],
    [
      'a network address that is a number',
      answer({ NetworkSettings: { Networks: { bridge: { IPAddress: 1 } } } }),
      'NetworkSettings.Networks.bridge.IPAddress is not a string but number 1',
    ],
  ])('refuses %s, naming what is wrong', (_description, raw, message) => {
    let thrown: unknown;
    try {
      parseContainerInspect(raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnexpectedEngineAnswer);
    expect((thrown as Error).message).toBe(message);
  });
});

describe('timestampNanos', () => {
  it.each<[string, string, bigint]>([
    ['whole seconds (Go trims a zero fraction)', '1970-01-01T00:00:01Z', 1_000_000_000n],
    ['nanoseconds', '1970-01-01T00:00:01.000000007Z', 1_000_000_007n],
    ['a fraction with trailing zeros trimmed', '1970-01-01T00:00:01.12Z', 1_120_000_000n],
    ['an offset', '1970-01-01T01:00:01+01:00', 1_000_000_000n],
    ['the zero time of a never started container', '0001-01-01T00:00:00Z', -62_135_596_800_000_000_000n],
  ])('%s', (_description, timestamp, nanos) => {
    expect(timestampNanos(timestamp, 'State.StartedAt')).toBe(nanos);
  });

  it('orders what text comparison gets wrong', () => {
    const earlier = '2026-12-03T12:00:00.1234Z';
    const later = '2026-12-03T12:00:00.12345Z';
    expect(earlier > later).toBe(true);
    expect(timestampNanos(earlier, 'a') < timestampNanos(later, 'b')).toBe(true);
  });

  it.each<[string, string]>([
    ['an empty string', ''],
    ['a date without a time', '2026-12-03'],
    ['no zone', '2026-12-03T12:00:00'],
    ['more than nanoseconds', '2026-12-03T12:00:00.1234567891Z'],
    ['a month that does not exist', '2026-13-03T12:00:00Z'],
  ])('refuses %s', (_description, timestamp) => {
    expect(() => timestampNanos(timestamp, 'State.StartedAt of x')).toThrow(UnexpectedEngineAnswer);
    expect(() => timestampNanos(timestamp, 'State.StartedAt of x')).toThrow(/^State.StartedAt of x is not a timestamp/);
  });
});
