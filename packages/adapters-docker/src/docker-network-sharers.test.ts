import { networkSharers, type NetworkSharer } from './docker-network-sharers';

const ID = 'a'.repeat(64);
const OWNER = 'b'.repeat(64);

describe('networkSharers', () => {
  it.each<[string, unknown, NetworkSharer[]]>([
    [
      'a container in another’s namespace, by id',
      [{ Id: ID, HostConfig: { NetworkMode: `container:${OWNER}` } }],
      [{ id: ID, ownerRef: OWNER }],
    ],
    [
      'one in another’s namespace, by name (older engines)',
      [{ Id: ID, HostConfig: { NetworkMode: 'container:web' } }],
      [{ id: ID, ownerRef: 'web' }],
    ],
    [
      'containers on networks of their own are skipped',
      [{ Id: ID, HostConfig: { NetworkMode: 'bridge' } }, { Id: OWNER, HostConfig: { NetworkMode: 'host' } }],
      [],
    ],
    [
      'entries without a host config or an id are skipped',
      [{ Id: ID }, { HostConfig: { NetworkMode: `container:${OWNER}` } }, null, 'x', { Id: ID, HostConfig: null }],
      [],
    ],
    ['an answer that is no list', { message: 'nope' }, []],
    ['a body that was not JSON (docker-modem hands over a Buffer)', Buffer.from('garbage'), []],
  ])('%s', (_description, listed, sharers) => {
    expect(networkSharers(listed)).toEqual(sharers);
  });
});
