// forwarding-headers: x-forwarded-for gets this hop's client appended; the edge sets
// x-forwarded-proto and -host from what it saw; a mesh hop keeps the caller's proto; every
// hop sends its own traceparent.
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { TRACEPARENT, doc, fixture, meshDoc, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { forwardingHeadersStage } from './forwarding-headers.ts';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf([meshDoc(), doc('Service', 'api', 'port: 8080')].join('---\n'));
});

describe('forwarding-headers stage', () => {
  it('edge: appends the client to x-forwarded-for, sets proto, host and traceparent', () => {
    const { c, headers } = fixture({
      runtime,
      request: {
        host: 'api.example.com',
        scheme: 'https',
        clientIp: '203.0.113.7',
        headers: { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'evil.example', traceparent: '00-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbb-01' },
      },
    });
    expect(forwardingHeadersStage(c)).toBeUndefined();
    expect(headers.get('x-forwarded-for')).toBe('198.51.100.1, 203.0.113.7');
    expect(headers.get('x-forwarded-proto')).toBe('https');
    expect(headers.get('x-forwarded-host')).toBe('api.example.com');
    expect(headers.get('traceparent')).toBe(TRACEPARENT);
  });

  it('edge: x-forwarded-host is the Host the client sent, its port kept', () => {
    const { c, headers } = fixture({ runtime, request: { host: 'api.example.com', scheme: 'http', authority: 'api.example.com:8787' } });
    forwardingHeadersStage(c);
    expect(headers.get('x-forwarded-host')).toBe('api.example.com:8787');
  });

  it('edge: starts x-forwarded-for with the client when the request has none', () => {
    const { c, headers } = fixture({ runtime, request: { clientIp: '2001:db8::1' } });
    forwardingHeadersStage(c);
    expect(headers.get('x-forwarded-for')).toBe('2001:db8::1');
  });

  it('leaves x-forwarded-for alone when the hop saw no client address', () => {
    const { c, headers } = fixture({ runtime, request: { clientIp: null, headers: { 'x-forwarded-for': '198.51.100.1' } } });
    forwardingHeadersStage(c);
    expect(headers.get('x-forwarded-for')).toBe('198.51.100.1');
  });

  it('mesh: keeps the caller’s x-forwarded-proto and sets no x-forwarded-host', () => {
    const { c, headers } = fixture({
      runtime,
      plane: 'outbound',
      request: { host: 'api', scheme: 'http', clientIp: '127.0.0.1', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.7' } },
    });
    forwardingHeadersStage(c);
    expect(headers.get('x-forwarded-proto')).toBe('https');
    expect(headers.get('x-forwarded-host')).toBeNull();
    expect(headers.get('x-forwarded-for')).toBe('203.0.113.7, 127.0.0.1');
    expect(headers.get('traceparent')).toBe(TRACEPARENT);
  });

  it('mesh: sets x-forwarded-proto from the scheme when the caller sent none', () => {
    const { c, headers } = fixture({ runtime, plane: 'inbound', service: 'default/api', request: { host: 'api.default', scheme: 'http', clientIp: '10.0.0.9' } });
    forwardingHeadersStage(c);
    expect(headers.get('x-forwarded-proto')).toBe('http');
    expect(headers.get('x-forwarded-for')).toBe('10.0.0.9');
  });
});
