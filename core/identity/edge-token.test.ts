import { describe, expect, it } from 'vitest';
import { generateSigningKeyPair, importSigningKey } from '../keys/signing-key.ts';
import { mintEdgeToken, verifyEdgeToken } from './edge-token.ts';

const GATEWAY = 'spiffe://weft.local/ns/edge/sa/gateway';
const REVIEWS = 'spiffe://weft.local/ns/default/sa/reviews';
const user = { requestPrincipal: 'https://auth.example.com/jason', claims: { plan: 'pro' } };

async function setup() {
  const pair = await generateSigningKeyPair('ES256');
  return { key: await importSigningKey(pair.privateJwk), edgeKeys: { keys: [pair.publicJwk] } };
}

describe('edge tokens', () => {
  it('carry the end user and chosen claims to the destination service', async () => {
    const { key, edgeKeys } = await setup();
    const token = await mintEdgeToken({ gatewayId: GATEWAY, audience: REVIEWS, user, key });
    expect(await verifyEdgeToken(token, { edgeKeys, gatewayId: GATEWAY, audience: REVIEWS })).toMatchObject({ ok: true, user });
  });

  it('are refused for another service, from another issuer, after expiry, or signed by an uncertified key', async () => {
    const { key, edgeKeys } = await setup();
    const other = await setup();
    const now = Date.now();
    const token = await mintEdgeToken({ gatewayId: GATEWAY, audience: REVIEWS, user, key, now, ttlMs: 60_000 });
    expect(await verifyEdgeToken(token, { edgeKeys, gatewayId: GATEWAY, audience: 'spiffe://weft.local/ns/default/sa/ratings' })).toMatchObject({ ok: false, code: 'wrong_audience' });
    expect(await verifyEdgeToken(token, { edgeKeys, gatewayId: 'spiffe://weft.local/ns/edge/sa/other', audience: REVIEWS })).toMatchObject({ ok: false, code: 'wrong_issuer' });
    expect(await verifyEdgeToken(token, { edgeKeys, gatewayId: GATEWAY, audience: REVIEWS, now: now + 120_000 })).toMatchObject({ ok: false, code: 'expired' });
    expect(await verifyEdgeToken(token, { edgeKeys: other.edgeKeys, gatewayId: GATEWAY, audience: REVIEWS })).toMatchObject({ ok: false });
    const forged = await mintEdgeToken({ gatewayId: GATEWAY, audience: REVIEWS, user, key: { ...other.key, kid: key.kid } });
    expect(await verifyEdgeToken(forged, { edgeKeys, gatewayId: GATEWAY, audience: REVIEWS })).toMatchObject({ ok: false, code: 'bad_signature' });
  });
});
