import { statSync } from 'node:fs';
import path from 'node:path';
import { freshConfigHome, removeConfigHomes } from '../testing/cli-harness';
import { configFilePath, readSavedLogin, writeSavedLogin } from './config-file';
import { normalizeServerUrl, resolveSettings, tunnelUrlFor } from './settings';

afterAll(removeConfigHomes);

const SAVED = { url: 'http://saved.example:8080', token: 'saved-token-0123456789' };

describe('settings', () => {
  let home: string;
  beforeEach(async () => {
    home = freshConfigHome();
  });

  it.each([
    ['the saved login alone', {}, SAVED],
    ['PORTHOLE_URL over the saved URL', { PORTHOLE_URL: 'https://env.example' }, { url: 'https://env.example', token: SAVED.token }],
    ['PORTHOLE_TOKEN over the saved token', { PORTHOLE_TOKEN: 'env-token' }, { url: SAVED.url, token: 'env-token' }],
    ['both from the environment', { PORTHOLE_URL: 'http://e:1/', PORTHOLE_TOKEN: 'env-token' }, { url: 'http://e:1', token: 'env-token' }],
    ['empty variables count as unset', { PORTHOLE_URL: '', PORTHOLE_TOKEN: ' ' }, SAVED],
  ])('takes %s', async (_description, env, expected) => {
    await writeSavedLogin(configFilePath({ XDG_CONFIG_HOME: home }), SAVED);
    await expect(resolveSettings({ XDG_CONFIG_HOME: home, ...env })).resolves.toEqual(expected);
  });

  it.each([
    ['nothing at all', {}, 'no Porthole URL: run `porthole login`, or set PORTHOLE_URL and PORTHOLE_TOKEN'],
    ['a URL without a token', { PORTHOLE_URL: 'http://e:1' }, 'no token: run `porthole login`, or set PORTHOLE_URL and PORTHOLE_TOKEN'],
  ])('refuses %s', async (_description, env, message) => {
    await expect(resolveSettings({ XDG_CONFIG_HOME: home, ...env })).rejects.toThrow(message);
  });

  it('saves the login readable by its owner only', async () => {
    const file = configFilePath({ XDG_CONFIG_HOME: home });
    expect(file).toBe(path.join(home, 'porthole', 'config.json'));
    await writeSavedLogin(file, SAVED);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    await expect(readSavedLogin(file)).resolves.toEqual(SAVED);
  });

  it('falls back to ~/.config without XDG_CONFIG_HOME', () => {
    expect(configFilePath({ HOME: '/home/ada' })).toBe('/home/ada/.config/porthole/config.json');
  });
});

describe('server URLs', () => {
  it.each([
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080'],
    ['https://porthole.example/base/', 'https://porthole.example/base'],
    ['  HTTP://Porthole.Example  ', 'http://porthole.example'],
  ])('tidies %j', (raw, url) => {
    expect(normalizeServerUrl(raw)).toBe(url);
  });

  it.each([
    ['not a URL', 'porthole:8080'.replace(':', ' ')],
    ['another scheme', 'ftp://porthole.example'],
    ['a query', 'http://porthole.example/?a=1'],
    ['credentials', 'http://user:pw@porthole.example'],
  ])('refuses %s', (_description, raw) => {
    expect(() => normalizeServerUrl(raw)).toThrow(raw);
  });

  it.each([
    ['http://127.0.0.1:8080', 'ws://127.0.0.1:8080/ws/port-forward/pf_abc'],
    ['https://porthole.example/base', 'wss://porthole.example/base/ws/port-forward/pf_abc'],
  ])('builds the tunnel URL of a forward on %s', (url, tunnel) => {
    expect(tunnelUrlFor(url, 'pf_abc')).toBe(tunnel);
  });
});
