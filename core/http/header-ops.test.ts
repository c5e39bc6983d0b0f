import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyHeaderOps, deleteFolded, foldHeaderName, HOP_BY_HOP, isIdentityHeaderName, stripUntrusted, untrustedNames } from './header-ops.ts';

const entries = (h: Headers) => [...h.entries()];

describe('applyHeaderOps', () => {
  it('removes, then sets, then adds', () => {
    const h = new Headers({ 'x-a': '1', 'x-b': '2', 'x-c': '3' });
    applyHeaderOps(h, { remove: ['x-a', 'x-c'], set: { 'x-b': 'set', 'x-c': 'set' }, add: { 'x-b': 'added', 'x-d': 'new' } });
    expect(entries(h)).toEqual([
      ['x-b', 'set, added'],
      ['x-c', 'set'],
      ['x-d', 'new'],
    ]);
  });

  it('a header both removed and added ends with the added value only', () => {
    const h = new Headers({ 'x-env': 'client' });
    applyHeaderOps(h, { remove: ['x-env'], set: {}, add: { 'x-env': 'prod' } });
    expect(h.get('x-env')).toBe('prod');
  });

  it('empty ops change nothing', () => {
    const h = new Headers({ a: '1' });
    applyHeaderOps(h, { remove: [], set: {}, add: {} });
    expect(entries(h)).toEqual([['a', '1']]);
  });
});

describe('stripUntrusted: hop-by-hop headers', () => {
  it.each([...HOP_BY_HOP])('removes %s', (name) => {
    const h = new Headers({ [name]: 'x', accept: 'text/html' });
    stripUntrusted(h);
    expect(entries(h)).toEqual([['accept', 'text/html']]);
  });

  it('removes the headers Connection names', () => {
    const h = new Headers({ connection: 'close, X-Secret ,x-other', 'x-secret': '1', 'x-other': '2', 'x-kept': '3' });
    stripUntrusted(h);
    expect(entries(h)).toEqual([['x-kept', '3']]);
  });

  it('keeps te: trailers (gRPC), even when Connection names TE', () => {
    const h = new Headers({ connection: 'TE', te: 'trailers, deflate;q=0.5' });
    stripUntrusted(h);
    expect(entries(h)).toEqual([['te', 'trailers']]);
    const other = new Headers({ te: 'gzip' });
    stripUntrusted(other);
    expect(entries(other)).toEqual([]);
  });

  it('property: no hop-by-hop or Connection-named header survives', () => {
    const name = fc.constantFrom('connection', 'keep-alive', 'upgrade', 'x-a', 'x-b', 'accept', 'transfer-encoding', 'proxy-connection');
    fc.assert(
      fc.property(fc.dictionary(name, fc.constantFrom('1', 'x-a', 'x-b, accept', 'close')), (init) => {
        const h = new Headers(init);
        const named = (h.get('connection') ?? '').split(',').map((t) => t.trim().toLowerCase());
        stripUntrusted(h);
        for (const k of h.keys()) {
          expect(HOP_BY_HOP.has(k)).toBe(false);
          expect(named).not.toContain(k);
        }
      }),
    );
  });
});

describe('stripUntrusted: client identity headers', () => {
  it('removes every x-weft-* and x-forwarded-client-cert, whatever the case', () => {
    const h = new Headers({
      'X-Weft-Principal': 'spiffe://evil',
      'x-weft-request-principal': 'idp/admin',
      'x-weft-anything': '1',
      'X-Forwarded-Client-Cert': 'By=spiffe://x',
      'x-weftish': 'kept',
      authorization: 'Bearer t',
    });
    stripUntrusted(h);
    expect(entries(h)).toEqual([
      ['authorization', 'Bearer t'],
      ['x-weftish', 'kept'],
    ]);
  });
});

describe('identity header names as an app server may fold them', () => {
  it.each([
    'x-weft-principal',
    'X-Weft-Principal',
    'X_Weft_Principal',
    'x-weft_claims',
    'x_weft-peer-id',
    'X_WEFT_SVID',
    'x-weft-edge-token',
    'x_weft_',
    'x-forwarded-client-cert',
    'X-Forwarded_Client_Cert',
    'x_forwarded_client_cert',
  ])('%s is an identity header', (name) => {
    expect(isIdentityHeaderName(name)).toBe(true);
  });

  it.each(['x-weftish', 'x_weftx', 'x-wef-principal', 'weft-principal', 'x-forwarded-client-certs', 'x-forwarded-client', 'x-forwarded-for', 'authorization', ''])(
    '%s is not',
    (name) => {
      expect(isIdentityHeaderName(name)).toBe(false);
    },
  );

  it('foldHeaderName lower-cases and reads `_` as `-`', () => {
    expect(foldHeaderName('X_Weft_Principal')).toBe('x-weft-principal');
    expect(foldHeaderName('Accept')).toBe('accept');
  });

  it('agrees with folding the name first, for any name', () => {
    const nameChar = fc.constantFrom(...'xXwWeEfFtT-_aArRcCdD'.split(''));
    const name = fc.oneof(
      fc.array(nameChar, { maxLength: 26 }).map((c) => c.join('')),
      fc.tuple(fc.constantFrom('x-weft-', 'X_WEFT_', 'x-forwarded-client-cert', 'X_Forwarded-Client_Cert', 'x_weft'), fc.array(nameChar, { maxLength: 4 })).map(([p, c]) => p + c.join('')),
    );
    fc.assert(
      fc.property(name, (n) => {
        const folded = foldHeaderName(n);
        expect(isIdentityHeaderName(n)).toBe(folded.startsWith('x-weft-') || folded === 'x-forwarded-client-cert');
      }),
      { numRuns: 2000 },
    );
  });

  it('stripUntrusted removes the folded forms a client sends', () => {
    const h = new Headers([
      ['X_Weft_Principal', 'https://idp/root'],
      ['x-weft_claims', '{"role":"admin"}'],
      ['x_weft_peer_id', 'spiffe://weft.local/ns/default/sa/admin'],
      ['X-Forwarded_Client_Cert', 'By=spiffe://x'],
      ['accept', '*/*'],
    ]);
    expect(untrustedNames(h)?.sort()).toEqual(['x-forwarded_client_cert', 'x-weft_claims', 'x_weft_peer_id', 'x_weft_principal']);
    stripUntrusted(h);
    expect(entries(h)).toEqual([['accept', '*/*']]);
  });
});

describe('headers the proxy sets, as an app server folds them', () => {
  it('stripUntrusted removes a client’s x_forwarded_for and friends; the real ones are the proxy’s to set', () => {
    const h = new Headers([
      ['X_Forwarded_For', '10.6.6.6'],
      ['x_forwarded_proto', 'https'],
      ['X_Forwarded-Host', 'admin.internal'],
      ['trace_parent', 'nope'],
      ['x-forwarded-for', '192.0.2.1'],
      ['x_request_id', 'kept'],
    ]);
    stripUntrusted(h);
    expect(entries(h)).toEqual([
      ['trace_parent', 'nope'],
      ['x-forwarded-for', '192.0.2.1'],
      ['x_request_id', 'kept'],
    ]);
  });

  it('deleteFolded removes a forwarded-claim header in every spelling an app server folds into it', () => {
    const h = new Headers([
      ['x-user-id', 'forged-1'],
      ['X_User_Id', 'forged-2'],
      ['x_user-id', 'forged-3'],
      ['x-user-idx', 'kept'],
    ]);
    deleteFolded(h, ['x-user-id']);
    expect(entries(h)).toEqual([['x-user-idx', 'kept']]);
  });
});

describe('untrustedNames', () => {
  it('is undefined when there is nothing to remove, and the message stays as it was', () => {
    const h = new Headers({ accept: 'text/html', 'x-weftish': '1', authorization: 'Bearer t' });
    expect(untrustedNames(h)).toBeUndefined();
    stripUntrusted(h);
    expect(entries(h)).toEqual([
      ['accept', 'text/html'],
      ['authorization', 'Bearer t'],
      ['x-weftish', '1'],
    ]);
  });

  it('names what a copy of the headers is stripped of (the gateway strips a copy of an immutable response)', () => {
    const original = new Headers({ connection: 'x-secret', 'x-secret': '1', 'keep-alive': 'timeout=5', 'x-weft-principal': 'spiffe://evil', accept: '*/*' });
    const present = untrustedNames(original);
    expect(present).toEqual(['connection', 'keep-alive', 'x-weft-principal']);
    const copy = new Headers(original);
    stripUntrusted(copy, present);
    expect(entries(copy)).toEqual([['accept', '*/*']]);
  });

  describe('with connection-level headers the server writes itself (workerd)', () => {
    const serverWrites = new Set(['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

    it("leaves a Node upstream's usual Connection, Keep-Alive and Transfer-Encoding to the server: nothing to do", () => {
      const h = new Headers({ connection: 'keep-alive', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', 'content-type': 'text/html' });
      expect(untrustedNames(h, serverWrites)).toBeUndefined();
    });

    it('still removes a header that Connection names, and the identity headers', () => {
      const h = new Headers({ connection: 'keep-alive, x-secret', 'keep-alive': 'timeout=5', 'x-secret': '1', 'x-weft-principal': 'spiffe://evil', 'proxy-connection': 'keep-alive', accept: '*/*' });
      const present = untrustedNames(h, serverWrites);
      expect(present?.sort()).toEqual(['connection', 'proxy-connection', 'x-weft-principal']);
      const copy = new Headers(h);
      stripUntrusted(copy, present);
      expect(entries(copy)).toEqual([['accept', '*/*']]); // keep-alive too: Connection names it
    });

    it('a Connection that names only absent or server-written headers needs nothing', () => {
      expect(untrustedNames(new Headers({ connection: 'close, x-gone, upgrade' }), serverWrites)).toBeUndefined();
    });
  });
});
