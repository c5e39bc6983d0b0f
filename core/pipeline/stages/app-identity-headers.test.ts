// app-identity-headers (inbound): what the app learns of its caller, verified; the caller's
// JWT-SVID never reaches it, the edge token does (the app passes it on).
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotRuntime } from '../../runtime/snapshot-runtime.ts';
import { doc, fixture, meshDoc, runtimeOf } from '../../../test/support/pipeline-fixture.ts';
import { appIdentityHeadersStage } from './app-identity-headers.ts';

const PRODUCTPAGE = 'spiffe://weft.local/ns/default/sa/productpage';

let runtime: SnapshotRuntime;
beforeAll(async () => {
  runtime = await runtimeOf([meshDoc(), doc('Service', 'reviews', 'port: 9080')].join('---\n'));
});

function inbound(headers: Record<string, string> = {}) {
  return fixture({ runtime, plane: 'inbound', service: 'default/reviews', request: { host: 'reviews.default', headers } });
}

describe('app-identity-headers stage', () => {
  it('tells the app the verified peer and user; cuts the SVID, keeps the edge token', () => {
    const f = inbound({ 'x-weft-svid': 'svid', 'x-weft-edge-token': 'edge' });
    f.c.peer = PRODUCTPAGE;
    f.c.user = { requestPrincipal: 'https://idp.example.com/jason', claims: { sub: 'jason', groups: ['a', 'b'] }, apiKey: null };
    expect(appIdentityHeadersStage(f.c)).toBeUndefined();
    expect(f.headers.get('x-weft-peer-id')).toBe(PRODUCTPAGE);
    expect(f.headers.get('x-weft-principal')).toBe('https://idp.example.com/jason');
    expect(f.headers.get('x-weft-claims')).toBe('{"sub":"jason","groups":["a","b"]}');
    expect(f.headers.get('x-weft-svid')).toBeNull();
    expect(f.headers.get('x-weft-edge-token')).toBe('edge');
  });

  it('sets nothing for an anonymous caller and no user', () => {
    const f = inbound({ 'x-weft-svid': 'svid' });
    expect(appIdentityHeadersStage(f.c)).toBeUndefined();
    expect([...f.headers.keys()]).toEqual([]);
  });
});
