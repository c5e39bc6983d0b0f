// SvidClient against fake control answers: what is sent (always naming the workload), a
// refusal for another workload's credential, and the checks on the answer.
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../../sidecar/control/control-http.ts';
import type { CallOptions, ControlResponse } from '../../../sidecar/control/control-http.ts';
import { IdentityError } from '../../../sidecar/identity/control-token.ts';
import { SvidClient } from '../../../sidecar/identity/svid-client.ts';

const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const csr = { csrPem: 'CSR', privateKeyPem: 'KEY' };

function fakeControl(answer: (o: CallOptions) => unknown) {
  const calls: CallOptions[] = [];
  const link = {
    call: (method: string, path: string, o: CallOptions = {}): Promise<ControlResponse> => {
      expect([method, path]).toEqual(['POST', '/v1/identity/svid']);
      calls.push(o);
      try {
        const body = answer(o);
        return Promise.resolve({ status: 200, headers: { get: () => null }, text: JSON.stringify(body) });
      } catch (e) {
        return Promise.reject(e as Error);
      }
    },
  };
  return { calls, client: new SvidClient({ link, namespace: 'default', service: 'reviews' }) };
}

const ok = { spiffeId: REVIEWS, controlToken: { token: 'ct', expiresAt: '2026-01-01T00:10:00Z' } };

describe('SvidClient', () => {
  it('sends the credential with the CSR, or the audiences to mint for', async () => {
    const { client, calls } = fakeControl(() => ok);
    expect(await client.request('wjt_join', { csr })).toEqual({ text: JSON.stringify(ok), csr });
    await client.request('ct', { audiences: ['aud'] });
    expect(calls).toEqual([
      { token: 'wjt_join', body: { namespace: 'default', service: 'reviews', csr: 'CSR' } },
      { token: 'ct', body: { namespace: 'default', service: 'reviews', audiences: ['aud'] } },
    ]);
  });

  it('fails with an IdentityError, once, when control says the credential is another workload’s', async () => {
    const { client, calls } = fakeControl(() => {
      throw new ControlError(403, 'wrong_service', 'this join token is for default/ratings, not default/reviews');
    });
    const refused = client.request('wjt_ratings', { csr });
    await expect(refused).rejects.toThrow(IdentityError);
    await expect(refused).rejects.toThrow(/default\/reviews \(wrong_service\): this join token is for default\/ratings/);
    expect(calls).toHaveLength(1);
  });

  it('refuses an answer that names another workload', () => {
    const { client } = fakeControl(() => ok);
    const text = JSON.stringify({ ...ok, spiffeId: 'spiffe://weft.local/ns/default/sa/ratings' });
    expect(() => client.parse(text)).toThrow(/"spiffe:\/\/weft\.local\/ns\/default\/sa\/ratings", but this sidecar is configured as default\/reviews/);
  });

  it('passes other refusals on', async () => {
    const { client, calls } = fakeControl(() => {
      throw new ControlError(401, 'invalid_join_token', 'used up');
    });
    await expect(client.request('wjt', { csr })).rejects.toThrow('used up');
    expect(calls).toHaveLength(1);
  });

  it('parses an answer: JWT-SVIDs, the X.509-SVID, the CA certificates; refuses one without identity', () => {
    const { client } = fakeControl(() => ok);
    const text = JSON.stringify({
      ...ok,
      jwtSvids: [{ audience: 'aud', token: 'jt', expiresAt: '2026-01-01T00:05:00Z' }, { token: 'no audience' }],
      x509Svid: { certificatePem: 'CERT', expiresAt: '2026-01-01T01:00:00Z' },
      bundle: { x509Authorities: ['CA1', 7, 'CA2'] },
    });
    expect(client.parse(text)).toEqual({
      ...ok,
      jwtSvids: [{ audience: 'aud', token: 'jt', expiresAt: '2026-01-01T00:05:00Z' }],
      x509Svid: { certificatePem: 'CERT', expiresAt: '2026-01-01T01:00:00Z' },
      authorities: ['CA1', 'CA2'],
    });
    expect(client.parse(JSON.stringify(ok)).authorities).toBeUndefined();
    for (const bad of ['nope', '{}', JSON.stringify({ spiffeId: REVIEWS }), JSON.stringify({ ...ok, jwtSvids: 'x' })])
      expect(() => client.parse(bad)).toThrow('the answer has no spiffeId and controlToken');
  });
});
