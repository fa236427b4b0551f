import type { ForwardJson } from '../api/forward-json';
import { asJson, forwardDetails, forwardTable } from './forward-view';

const WEB: ForwardJson = {
  id: 'pf_Xq3aaaaaaaaaaaaaaaaaa',
  container_id: '9c1f000000000000000000000000000000000000000000000000000000000000',
  container_port: 8000,
  local_port: 20000,
  name: 'Web Server',
  proxy_url: 'http://127.0.0.1:8080/p/pf_Xq3aaaaaaaaaaaaaaaaaa/',
  websocket_url: 'ws://127.0.0.1:8080/ws/port-forward/pf_Xq3aaaaaaaaaaaaaaaaaa',
  created_at: '2026-12-03T12:00:00.000Z',
};
const DB: ForwardJson = { ...WEB, id: 'pf_Db5bbbbbbbbbbbbbbbbbb', container_port: 5432, local_port: 20001, name: null, created_at: '2026-12-03T12:01:30.500Z' };

describe('forward output', () => {
  it('lists forwards as aligned columns', () => {
    expect(forwardTable([WEB, DB])).toBe(
      [
        'ID                        NAME        PORT  LOCAL PORT  CREATED',
        'pf_Xq3aaaaaaaaaaaaaaaaaa  Web Server  8000  20000       2026-12-03 12:00:00Z',
        'pf_Db5bbbbbbbbbbbbbbbbbb  -           5432  20001       2026-12-03 12:01:30Z',
        '',
      ].join('\n'),
    );
  });

  it('shows a new forward with how to reach it', () => {
    expect(forwardDetails(WEB)).toBe(
      [
        'id          pf_Xq3aaaaaaaaaaaaaaaaaa',
        'name        Web Server',
        `container   ${WEB.container_id}`,
        'port        8000',
        'local port  20000',
        'proxy       http://127.0.0.1:8080/p/pf_Xq3aaaaaaaaaaaaaaaaaa/',
        'tunnel      porthole connect pf_Xq3aaaaaaaaaaaaaaaaaa',
        'created     2026-12-03 12:00:00Z',
        '',
      ].join('\n'),
    );
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
