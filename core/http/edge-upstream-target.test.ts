import { describe, expect, it } from 'vitest';
import { edgeUpstreamTarget, parseZoneNames } from './edge-upstream-target.ts';

const target = (over: Partial<Parameters<typeof edgeUpstreamTarget>[0]>) =>
  edgeUpstreamTarget({ scheme: 'https', address: 'origin.example.com', port: 443, host: 'api.example.com', zones: ['example.com'], pathAndQuery: '/v1/users?x=1', ...over });

describe('parseZoneNames', () => {
  it('reads a comma- or space-separated list, lower-cased, dots and wildcards trimmed', () => {
    expect(parseZoneNames(' Example.com,example.org. *.example.net ')).toEqual(['example.com', 'example.org', 'example.net']);
    expect(parseZoneNames(undefined)).toEqual([]);
    expect(parseZoneNames('')).toEqual([]);
  });
});

describe('edgeUpstreamTarget', () => {
  it('fetches the backend’s Host resolved to a host-name endpoint in the same zone', () => {
    expect(target({})).toEqual({ url: 'https://api.example.com/v1/users?x=1', resolveOverride: 'origin.example.com' });
    expect(target({ scheme: 'http', port: 80, address: 'Origin.Example.com.' })).toEqual({ url: 'http://api.example.com/v1/users?x=1', resolveOverride: 'origin.example.com' });
    expect(target({ host: 'example.com', address: 'example.com' })).toEqual({ url: 'https://example.com/v1/users?x=1', resolveOverride: 'example.com' });
  });

  it('fetches the endpoint’s address otherwise', () => {
    const direct = { url: 'https://origin.example.com:443/v1/users?x=1', resolveOverride: null };
    expect(target({ zones: [] })).toEqual(direct); // no zone listed
    expect(target({ host: 'api.example.org' })).toEqual(direct); // the Host is outside the zone
    expect(target({ zones: ['example.org'] })).toEqual(direct); // neither is in it
    expect(target({ host: 'notexample.com', zones: ['example.com'] })).toEqual(direct); // a suffix is not a zone
    expect(target({ port: 8443 })).toEqual({ url: 'https://origin.example.com:8443/v1/users?x=1', resolveOverride: null }); // resolveOverride keeps the URL's port
    expect(target({ address: '192.0.2.10' })).toEqual({ url: 'https://192.0.2.10:443/v1/users?x=1', resolveOverride: null });
    expect(target({ address: '2001:db8::1', port: 8080, scheme: 'http' })).toEqual({ url: 'http://[2001:db8::1]:8080/v1/users?x=1', resolveOverride: null });
    expect(target({ host: 'api.example.com:8443' })).toEqual(direct); // not a host name
  });
});
