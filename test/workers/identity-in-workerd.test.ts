// core/identity runs unchanged in workerd: control (a Worker) creates the mesh CA, takes a
// workload CSR, issues and verifies an X.509-SVID, and mints and verifies a JWT-SVID, all
// inside the Workers runtime (not Node), with @peculiar/x509 and jose on workerd's WebCrypto.
import { describe, expect, it } from 'vitest';
import { createWorkloadCsr } from '../../core/identity/csr.ts';
import { mintJwtSvid, verifyJwtSvid } from '../../core/identity/jwt-svid.ts';
import { formatSpiffeId, principalMatches } from '../../core/identity/spiffe-id.ts';
import { createCertificateAuthority, loadCertificateAuthority } from '../../core/identity/x509-ca.ts';
import { issueX509Svid } from '../../core/identity/x509-svid.ts';
import { verifyX509Svid } from '../../core/identity/x509-svid-verify.ts';
import { generateSigningKeyPair, importSigningKey } from '../../core/keys/signing-key.ts';

describe('identity in workerd', () => {
  it('creates a CA, issues an X.509-SVID from a CSR and verifies it', async () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers');
    const web = formatSpiffeId('weft.local', 'prod', 'web');
    const ca = await loadCertificateAuthority(await createCertificateAuthority({ trustDomain: 'weft.local', ttlMs: 86_400_000 }));
    expect(ca.trustDomain).toBe('weft.local');
    const { csrPem, privateKeyPem } = await createWorkloadCsr({ spiffeId: web });
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const issued = await issueX509Svid(ca, { csrPem, spiffeId: web, ttlMs: 3_600_000 });
    if (!issued.ok) throw new Error(`${issued.code}: ${issued.message}`);
    expect(await verifyX509Svid(issued.certificatePem, [ca.certificatePem])).toEqual({ ok: true, spiffeId: web, expiresAt: issued.expiresAt });

    const other = await loadCertificateAuthority(await createCertificateAuthority({ trustDomain: 'weft.local', ttlMs: 86_400_000 }));
    expect(await verifyX509Svid(issued.certificatePem, [other.certificatePem])).toMatchObject({ ok: false, code: 'untrusted' });
    const { csrPem: evil } = await createWorkloadCsr({ spiffeId: formatSpiffeId('weft.local', 'prod', 'admin') });
    expect(await issueX509Svid(ca, { csrPem: evil, spiffeId: web, ttlMs: 3_600_000 })).toMatchObject({ ok: false, code: 'wrong_spiffe_id' });
  });

  it.each(['ES256', 'EdDSA'] as const)('mints and verifies a %s JWT-SVID', async (alg) => {
    const pair = await generateSigningKeyPair(alg);
    const key = await importSigningKey(pair.privateJwk);
    const web = formatSpiffeId('weft.local', 'prod', 'web');
    const api = formatSpiffeId('weft.local', 'prod', 'api');
    const { token } = await mintJwtSvid({ spiffeId: web, audience: [api], ttlMs: 300_000, key });
    const verified = await verifyJwtSvid(token, { trustBundle: { keys: [pair.publicJwk] }, audience: api, trustDomain: 'weft.local' });
    expect(verified).toMatchObject({ ok: true, spiffeId: web });
    if (verified.ok) expect(principalMatches('spiffe://weft.local/ns/prod/sa/*', verified.spiffeId)).toBe(true);
    expect(await verifyJwtSvid(token, { trustBundle: { keys: [pair.publicJwk] }, audience: web })).toMatchObject({ ok: false, code: 'wrong_audience' });
  });
});
