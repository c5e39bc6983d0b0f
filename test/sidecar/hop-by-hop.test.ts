// The sidecar's upstream request headers (forwardedRequestHeaders, on Node's flat rawHeaders
// list): identity headers are cut as an app server may fold them (any case, `_` for `-`), the
// mesh headers passed on deliberately survive in their own spelling only, and the caller's
// drop list is read folded too.
import { describe, expect, it } from 'vitest';
import { forwardedRequestHeaders } from '../../sidecar/proxy/hop-by-hop.ts';

const names = (list: string[]) => list.filter((_, i) => i % 2 === 0);

describe('forwardedRequestHeaders', () => {
  it('cuts identity headers in every spelling an app server folds into the real one', () => {
    const raw = [
      'X_Weft_Principal', 'https://idp/root',
      'x-weft_claims', '{"role":"admin"}',
      'X-WEFT-PEER-ID', 'spiffe://weft.local/ns/default/sa/admin',
      'x_weft_svid', 'forged',
      'x-weft-anything', '1',
      'X-Forwarded_Client_Cert', 'By=spiffe://x',
      'x_forwarded_client_cert', 'By=spiffe://y',
      'accept', '*/*',
      'x-weftish', 'kept',
    ];
    expect(forwardedRequestHeaders(raw, new Set()).list).toEqual(['accept', '*/*', 'x-weftish', 'kept']);
  });

  it('passes the edge token and the shadow mark as sent, but not their folded forms', () => {
    const raw = [
      'X-Weft-Edge-Token', 'eyJ.token.sig',
      'x_weft_edge_token', 'forged',
      'x-weft-shadow', 'true',
      'X_Weft_Shadow', 'true',
    ];
    expect(forwardedRequestHeaders(raw, new Set()).list).toEqual(['X-Weft-Edge-Token', 'eyJ.token.sig', 'x-weft-shadow', 'true']);
  });

  it('drops the names in `drop` in any case and with `_` for `-`', () => {
    const raw = ['X-Forwarded-For', '10.0.0.1', 'x_forwarded_for', '10.0.0.2', 'Proxy_Authorization', 'Basic x', 'x-forwarded-proto', 'http', 'X_Forwarded_Proto', 'https'];
    const { list } = forwardedRequestHeaders(raw, new Set(['x-forwarded-for', 'proxy-authorization']));
    // x_forwarded_proto is not in `drop`, but an app would read it as the header the sidecar keeps or sets
    expect(list).toEqual(['x-forwarded-proto', 'http']);
  });

  it('still cuts hop-by-hop headers (and Expect, met on this hop), keeps TE: trailers and hands back the Host', () => {
    const raw = ['Host', 'reviews', 'Connection', 'x-secret', 'x-secret', '1', 'TE', 'trailers', 'Keep-Alive', 'timeout=5', 'Expect', '100-continue', 'content-type', 'application/grpc'];
    const { list, host } = forwardedRequestHeaders(raw, new Set());
    expect(host).toBe('reviews');
    expect(names(list).sort()).toEqual(['content-type', 'te']);
  });
});
