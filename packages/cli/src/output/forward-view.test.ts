import type { ForwardJson } from '../api/forward-json';
import { asJson, forwardDetails, forwardTable } from './forward-view';

const WEB: ForwardJson = {
  id: 'pf_Xq3aaaaaaaaaaaaaaaaaa',
  container_id: '9c1f000000000000000000000000000000000000000000000000000000000000',
  container_port: 8000,
  local_port: 20000,
  name: 'Web Server',
  custom_domain: null,
  proxy_url: 'http://127.0.0.1:8080/p/pf_Xq3aaaaaaaaaaaaaaaaaa/',
  websocket_url: 'ws://127.0.0.1:8080/ws/port-forward/pf_Xq3aaaaaaaaaaaaaaaaaa',
  created_at: '2026-12-03T12:00:00.000Z',
};
const DB: ForwardJson = { ...WEB, id: 'pf_Db5bbbbbbbbbbbbbbbbbb', container_port: 5432, local_port: 20001, name: null, created_at: '2026-12-03T12:01:30.500Z' };
/** As a server from before custom domains sends it: no custom_domain at all. */
const OLD: ForwardJson = (({ custom_domain: _omitted, ...rest }) => rest)(WEB);
const APP: ForwardJson = { ...WEB, custom_domain: 'app.example.com' };

describe('forward output', () => {
  it.each<[string, readonly ForwardJson[], string[]]>([
    ['forwards as aligned columns, with no DOMAIN column when none has a custom domain', [WEB, DB, OLD], [
      'ID                        NAME        PORT  LOCAL PORT  CREATED',
      'pf_Xq3aaaaaaaaaaaaaaaaaa  Web Server  8000  20000       2026-12-03 12:00:00Z',
      'pf_Db5bbbbbbbbbbbbbbbbbb  -           5432  20001       2026-12-03 12:01:30Z',
      'pf_Xq3aaaaaaaaaaaaaaaaaa  Web Server  8000  20000       2026-12-03 12:00:00Z',
    ]],
    ['a DOMAIN column last once one has a custom domain, "-" for the others', [APP, DB, OLD], [
      'ID                        NAME        PORT  LOCAL PORT  CREATED               DOMAIN',
      'pf_Xq3aaaaaaaaaaaaaaaaaa  Web Server  8000  20000       2026-12-03 12:00:00Z  app.example.com',
      'pf_Db5bbbbbbbbbbbbbbbbbb  -           5432  20001       2026-12-03 12:01:30Z  -',
      'pf_Xq3aaaaaaaaaaaaaaaaaa  Web Server  8000  20000       2026-12-03 12:00:00Z  -',
    ]],
  ])('lists %s', (_description, forwards, lines) => {
    expect(forwardTable(forwards)).toBe([...lines, ''].join('\n'));
  });

  it.each<[string, ForwardJson, string[]]>([
    ['a new forward with how to reach it', WEB, []],
    ['the custom domain URL after the proxy URL', APP, ['domain      http://app.example.com:8080/']],
  ])('shows %s', (_description, forward, domainLines) => {
    expect(forwardDetails(forward)).toBe(
      [
        'id          pf_Xq3aaaaaaaaaaaaaaaaaa',
        'name        Web Server',
        `container   ${WEB.container_id}`,
        'port        8000',
        'local port  20000',
        'proxy       http://127.0.0.1:8080/p/pf_Xq3aaaaaaaaaaaaaaaaaa/',
        ...domainLines,
        'tunnel      porthole connect pf_Xq3aaaaaaaaaaaaaaaaaa',
        'created     2026-12-03 12:00:00Z',
        '',
      ].join('\n'),
    );
  });

  // The server's rule (README "Custom domains"): the public URL's scheme and port, no path.
  it.each([
    ['http with a port', 'http://127.0.0.1:8080/p/pf_x/', 'http://app.example.com:8080/'],
    ['https on its default port', 'https://porthole.example.com/p/pf_x/', 'https://app.example.com/'],
    ['https on another port', 'https://porthole.example.com:8443/p/pf_x/', 'https://app.example.com:8443/'],
    ['a public URL below a path', 'https://example.com/tools/porthole/p/pf_x/', 'https://app.example.com/'],
    ['a proxy_url that is no URL', 'not a url', 'app.example.com'],
  ])('takes the domain URL from a proxy_url of %s', (_description, proxyUrl, domainUrl) => {
    expect(forwardDetails({ ...APP, proxy_url: proxyUrl })).toMatch(new RegExp(`^domain +${domainUrl.replace(/[.]/g, '\\.')}$`, 'm'));
  });

  it('shows a forward from a server older than custom domains as one without', () => {
    expect(forwardDetails(OLD)).toBe(forwardDetails(WEB));
  });

  it('never lets a name drive the terminal', () => {
    const table = forwardTable([{ ...WEB, name: 'evil\u001b]0;pwned\u0007\nname' }]);
    expect(table).toContain('evil?]0;pwned??name');
    expect(table.split('\n')).toHaveLength(3);
  });

  it('prints the API JSON unchanged for scripts', () => {
    expect(JSON.parse(asJson([WEB, DB]))).toEqual([WEB, DB]);
  });
});
