import { isForwardJson } from './forward-json';

const FORWARD = {
  id: 'pf_Xq3aaaaaaaaaaaaaaaaaa',
  container_id: '9c1f000000000000000000000000000000000000000000000000000000000000',
  container_port: 8000,
  local_port: 20000,
  name: null,
  custom_domain: null,
  proxy_url: 'http://127.0.0.1:8080/p/pf_Xq3aaaaaaaaaaaaaaaaaa/',
  websocket_url: 'ws://127.0.0.1:8080/ws/port-forward/pf_Xq3aaaaaaaaaaaaaaaaaa',
  created_at: '2026-12-03T12:00:00.000Z',
};
const { custom_domain: _absent, ...WITHOUT_DOMAIN } = FORWARD;

describe('isForwardJson', () => {
  it.each<[string, unknown, boolean]>([
    ['a forward without a custom domain', FORWARD, true],
    ['a forward with one', { ...FORWARD, custom_domain: 'app.example.com' }, true],
    ['a forward from a server older than custom domains', WITHOUT_DOMAIN, true],
    ['a custom domain that is not a string', { ...FORWARD, custom_domain: 42 }, false],
    ['an error body', { error: { code: 'forward_not_found', message: 'No port forward.' } }, false],
    ['null', null, false],
  ])('%s', (_description, value, expected) => {
    expect(isForwardJson(value)).toBe(expected);
  });
});
