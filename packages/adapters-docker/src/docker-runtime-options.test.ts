import { DEFAULT_DOCKER_RUNTIME_OPTIONS, resolveOptions, type DockerRuntimeOptions } from './docker-runtime-options';

describe('resolveOptions', () => {
  it('fills in the defaults, also for options given as undefined', () => {
    expect(resolveOptions({ connectTimeoutMs: undefined, log: undefined })).toEqual(DEFAULT_DOCKER_RUNTIME_OPTIONS);
  });

  it('keeps what was given', () => {
    const log = () => undefined;
    expect(resolveOptions({ connectTimeoutMs: 500, hostNetworkAddress: '10.0.0.1', log })).toEqual({
      ...DEFAULT_DOCKER_RUNTIME_OPTIONS,
      connectTimeoutMs: 500,
      hostNetworkAddress: '10.0.0.1',
      log,
    });
  });

  it.each<[string, DockerRuntimeOptions, RegExp]>([
    ['a zero connect timeout', { connectTimeoutMs: 0 }, /connectTimeoutMs must be a positive number/],
    ['a negative request timeout', { requestTimeoutMs: -1 }, /requestTimeoutMs must be a positive number/],
    ['a NaN backoff', { reconnectMinMs: Number.NaN }, /reconnectMinMs must be a positive number/],
    ['a maximum backoff below the minimum', { reconnectMinMs: 500, reconnectMaxMs: 100 }, /reconnectMaxMs must not be below/],
  ])('refuses %s', (_description, options, message) => {
    expect(() => resolveOptions(options)).toThrow(message);
  });
});
