import Dockerode from 'dockerode';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dockerFromEnvironment, dockerOptionsFromEnvironment, hostNetworkAddressFor, probeDocker } from './docker-environment';

// Stands in for the TLS files: returns the path it was asked for.
const readFile = (path: string) => Buffer.from(path);
const certs = (dir: string) => ({
  ca: Buffer.from(join(dir, 'ca.pem')),
  cert: Buffer.from(join(dir, 'cert.pem')),
  key: Buffer.from(join(dir, 'key.pem')),
});
const noHost = { host: undefined, port: undefined, protocol: undefined, timeout: undefined };

describe('dockerOptionsFromEnvironment', () => {
  it.each<[string, Record<string, string>, Dockerode.DockerOptions]>([
    ['DOCKER_HOST unset: the local socket', {}, { ...noHost, socketPath: '/var/run/docker.sock' }],
    ['DOCKER_HOST empty: the local socket', { DOCKER_HOST: '' }, { ...noHost, socketPath: '/var/run/docker.sock' }],
    ['a unix socket', { DOCKER_HOST: 'unix:///tmp/phd/docker.sock' }, { ...noHost, socketPath: '/tmp/phd/docker.sock' }],
    [
      'a named pipe',
      { DOCKER_HOST: 'npipe:////./pipe/docker_engine' },
      { ...noHost, socketPath: '//./pipe/docker_engine' },
    ],
    [
      'tcp without TLS: port 2375',
      { DOCKER_HOST: 'tcp://docker.internal' },
      { socketPath: undefined, host: 'docker.internal', port: 2375, protocol: 'http' },
    ],
    [
      'tcp with a port',
      { DOCKER_HOST: 'tcp://10.0.0.5:12375' },
      { socketPath: undefined, host: '10.0.0.5', port: 12375, protocol: 'http' },
    ],
    [
      'tcp on IPv6',
      { DOCKER_HOST: 'tcp://[::1]:2375' },
      { socketPath: undefined, host: '::1', port: 2375, protocol: 'http' },
    ],
    [
      'tcp with DOCKER_TLS_VERIFY: port 2376, https, certificates from DOCKER_CERT_PATH',
      { DOCKER_HOST: 'tcp://docker.internal', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' },
      { socketPath: undefined, host: 'docker.internal', port: 2376, protocol: 'https', ...certs('/certs') },
    ],
    [
      'DOCKER_TLS_VERIFY=0 still verifies, as in the CLI (any non-empty value)',
      { DOCKER_HOST: 'tcp://docker.internal:2376', DOCKER_TLS_VERIFY: '0' },
      { socketPath: undefined, host: 'docker.internal', port: 2376, protocol: 'https', ...certs(join(homedir(), '.docker')) },
    ],
    [
      'ssh with a user and the agent',
      { DOCKER_HOST: 'ssh://deploy@build-box', SSH_AUTH_SOCK: '/run/agent.sock' },
      {
        socketPath: undefined,
        host: 'build-box',
        port: 22,
        protocol: 'ssh',
        username: 'deploy',
        sshOptions: { agent: '/run/agent.sock' },
      },
    ],
    [
      'a pinned API version',
      { DOCKER_HOST: 'unix:///tmp/d.sock', DOCKER_API_VERSION: '1.41' },
      { ...noHost, socketPath: '/tmp/d.sock', version: 'v1.41' },
    ],
  ])('%s', (_description, env, options) => {
    expect(dockerOptionsFromEnvironment(env, readFile)).toEqual(options);
  });

  it.each<[string, string, RegExp]>([
    ['unix:// without a path', 'unix://', /DOCKER_HOST=unix:\/\/ cannot be used: a unix socket path is missing/],
    ['an unknown scheme', 'http://docker:2375', /DOCKER_HOST=http:\/\/docker:2375 cannot be used: use unix:\/\//],
    ['no scheme at all', 'docker:2375', /DOCKER_HOST=docker:2375 cannot be used/],
    ['a broken URL', 'tcp://[nope', /DOCKER_HOST=tcp:\/\/\[nope cannot be used: it is not a valid URL/],
  ])('refuses %s, naming the variable', (_description, host, message) => {
    expect(() => dockerOptionsFromEnvironment({ DOCKER_HOST: host }, readFile)).toThrow(message);
  });
});

describe('hostNetworkAddressFor', () => {
  it.each<[string, string | undefined, string]>([
    ['DOCKER_HOST unset: loopback', undefined, '127.0.0.1'],
    ['DOCKER_HOST empty: loopback', '', '127.0.0.1'],
    ['a unix socket: loopback', 'unix:///var/run/docker.sock', '127.0.0.1'],
    ['a named pipe: loopback', 'npipe:////./pipe/docker_engine', '127.0.0.1'],
    ['tcp: the engine’s host', 'tcp://10.0.0.5:2375', '10.0.0.5'],
    ['tcp without a port', 'tcp://docker.internal', 'docker.internal'],
    ['tcp with a trailing slash', 'tcp://docker.internal:2376/', 'docker.internal'],
    ['tcp on IPv6, without brackets', 'tcp://[fd00::5]:2375', 'fd00::5'],
    ['tcp to the local machine', 'tcp://127.0.0.1:2375', '127.0.0.1'],
    ['ssh: the engine’s host', 'ssh://build-box', 'build-box'],
    ['ssh with a user and a port', 'ssh://deploy@10.0.0.7:2222', '10.0.0.7'],
  ])('%s', (_description, dockerHost, address) => {
    expect(hostNetworkAddressFor(dockerHost)).toBe(address);
  });

  it.each<[string, string, RegExp]>([
    ['tcp without a host', 'tcp://', /DOCKER_HOST=tcp:\/\/ cannot be used: the host name is missing/],
    ['a broken URL', 'tcp://[nope', /DOCKER_HOST=tcp:\/\/\[nope cannot be used: it is not a valid URL/],
    ['an unknown scheme', 'http://docker:2375', /DOCKER_HOST=http:\/\/docker:2375 cannot be used: use unix:\/\//],
  ])('refuses %s, naming the variable', (_description, dockerHost, message) => {
    expect(() => hostNetworkAddressFor(dockerHost)).toThrow(message);
  });
});

describe('dockerFromEnvironment', () => {
  const socketOf = (docker: Dockerode) => (docker.modem as { socketPath?: unknown }).socketPath;

  it.each<[string, string | Record<string, string> | undefined, string]>([
    ['a DOCKER_HOST value', 'unix:///tmp/given.sock', '/tmp/given.sock'],
    ['a whole environment', { DOCKER_HOST: 'unix:///tmp/env.sock' }, '/tmp/env.sock'],
    ['an empty environment: the default socket', {}, '/var/run/docker.sock'],
  ])('takes %s', (_description, argument, socketPath) => {
    expect(socketOf(dockerFromEnvironment(argument))).toBe(socketPath);
  });

  it('reads process.env when given nothing or undefined', () => {
    const expected = dockerOptionsFromEnvironment(process.env).socketPath;
    expect(socketOf(dockerFromEnvironment())).toBe(expected);
    expect(socketOf(dockerFromEnvironment(undefined))).toBe(expected);
  });
});

describe('probeDocker', () => {
  it('says no, quickly and without throwing, when no engine answers', async () => {
    const docker = new Dockerode({ socketPath: '/nonexistent/porthole/docker.sock', host: undefined });
    const started = Date.now();
    await expect(probeDocker(docker, 500)).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
