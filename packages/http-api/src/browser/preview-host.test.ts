import { forwardIdFromHost, previewLabel } from './preview-host';

describe('previewLabel', () => {
  it('turns the id into a DNS label', () => {
    expect(previewLabel('pf_abc123')).toBe('pf-abc123');
  });
});

describe('forwardIdFromHost', () => {
  const domain = 'preview.example.com';
  it.each([
    ['a forward host', 'pf-abc123.preview.example.com', 'pf_abc123'],
    ['with a port', 'pf-abc123.preview.example.com:8443', 'pf_abc123'],
    ['upper case, as some clients send it', 'PF-ABC123.Preview.Example.COM', 'pf_abc123'],
    ['a trailing dot', 'pf-abc123.preview.example.com.', 'pf_abc123'],
    ['the preview domain itself', 'preview.example.com', undefined],
    ['a deeper subdomain', 'x.pf-abc123.preview.example.com', undefined],
    ['another label', 'www.preview.example.com', undefined],
    ['a domain that only ends alike', 'pf-abc123.evilpreview.example.com', undefined],
    ["Porthole's own host", '127.0.0.1:8080', undefined],
    ['no Host header', undefined, undefined],
  ])('%s', (_name, host, expected) => {
    expect(forwardIdFromHost(host, domain)).toBe(expected);
  });

  it('routes nothing when subdomain mode is off', () => {
    expect(forwardIdFromHost('pf-abc123.preview.example.com', undefined)).toBeUndefined();
  });
});
