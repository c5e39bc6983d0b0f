// The mesh CA and X.509-SVIDs: a CA as control creates it, a workload CSR, the SVID issued for
// it (checked field by field against the SPIFFE X.509-SVID profile), and every way issuance
// or verification must refuse: wrong identity, tampered CSR, weak key, foreign CA, outside the
// validity window, a CA passed off as a leaf. Plus a CA rotation with an [old, new] bundle.
import type { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createWorkloadCsr } from '../../core/identity/csr.ts';
import { ECDSA_SHA256, x509 } from '../../core/identity/pkix.ts';
import { createCertificateAuthority, loadCertificateAuthority } from '../../core/identity/x509-ca.ts';
import type { CertificateAuthority } from '../../core/identity/x509-ca.ts';
import { issueX509Svid } from '../../core/identity/x509-svid.ts';
import { verifyX509Svid } from '../../core/identity/x509-svid-verify.ts';

const TD = 'weft.local';
const WEB = `spiffe://${TD}/ns/prod/sa/web`;
const NOW = Date.parse('2026-11-25T12:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function newCa(trustDomain = TD, now = NOW, ttlMs = 30 * DAY): Promise<CertificateAuthority> {
  return loadCertificateAuthority(await createCertificateAuthority({ trustDomain, ttlMs, now }));
}

async function svid(ca: CertificateAuthority, spiffeId = WEB, now = NOW, ttlMs = HOUR): Promise<string> {
  const { csrPem } = await createWorkloadCsr({ spiffeId });
  const issued = await issueX509Svid(ca, { csrPem, spiffeId, ttlMs, now });
  if (!issued.ok) throw new Error(`${issued.code}: ${issued.message}`);
  return issued.certificatePem;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;

async function csrWithKey(algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams, signing: webcrypto.Algorithm | webcrypto.EcdsaParams, spiffeId = WEB): Promise<string> {
  const keys = (await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'O=Test',
    keys,
    signingAlgorithm: signing,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  return csr.toString('pem');
}

let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await newCa();
});

describe('certificate authority', () => {
  it('is a self-signed P-256 CA for the trust domain', async () => {
    const { certificatePem, privateKeyPem } = await createCertificateAuthority({ trustDomain: TD, ttlMs: 30 * DAY, now: NOW });
    expect(certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/);
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const cert = new x509.X509Certificate(certificatePem);
    expect(cert.subject).toBe('CN=Weft CA weft.local, O=Weft');
    expect(cert.issuer).toBe(cert.subject);
    expect(await cert.isSelfSigned()).toBe(true);
    expect(cert.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(cert.notAfter.getTime()).toBe(NOW + 30 * DAY);
    expect(cert.notBefore.getTime()).toBeLessThanOrEqual(NOW);
    const basic = cert.getExtension(x509.BasicConstraintsExtension);
    expect(basic).toMatchObject({ ca: true, critical: true });
    const usage = cert.getExtension(x509.KeyUsagesExtension);
    expect(usage?.critical).toBe(true);
    expect(usage?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature);
    expect(cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([{ type: 'url', value: 'spiffe://weft.local' }]);
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(cert.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);

    const loaded = await loadCertificateAuthority({ certificatePem, privateKeyPem });
    expect(loaded).toMatchObject({ trustDomain: TD, notAfter: NOW + 30 * DAY });
    expect(loaded.privateKey.extractable).toBe(false);
  });

  it('gives each CA its own serial number and key', async () => {
    const a = await createCertificateAuthority({ trustDomain: TD, ttlMs: DAY });
    const b = await createCertificateAuthority({ trustDomain: TD, ttlMs: DAY });
    expect(new x509.X509Certificate(a.certificatePem).serialNumber).not.toBe(new x509.X509Certificate(b.certificatePem).serialNumber);
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem);
  });

  it('refuses a bad trust domain, and a key that does not match the certificate', async () => {
    await expect(createCertificateAuthority({ trustDomain: 'Weft.Local', ttlMs: DAY })).rejects.toThrow(TypeError);
    await expect(createCertificateAuthority({ trustDomain: 'td/x', ttlMs: DAY })).rejects.toThrow(TypeError);
    const a = await createCertificateAuthority({ trustDomain: TD, ttlMs: DAY });
    const b = await createCertificateAuthority({ trustDomain: TD, ttlMs: DAY });
    await expect(loadCertificateAuthority({ certificatePem: a.certificatePem, privateKeyPem: b.privateKeyPem })).rejects.toThrow(/does not belong/);
    await expect(loadCertificateAuthority({ certificatePem: 'nope', privateKeyPem: a.privateKeyPem })).rejects.toThrow(/not a PEM X.509 certificate/);
    await expect(loadCertificateAuthority({ certificatePem: await svid(ca), privateKeyPem: a.privateKeyPem })).rejects.toThrow(/must be a CA/);
  });
});

describe('workload CSR', () => {
  it('carries the SPIFFE ID as its only URI SAN, signed by a fresh extractable P-256 key', async () => {
    const { csrPem, privateKeyPem } = await createWorkloadCsr({ spiffeId: WEB });
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    expect(await csr.verify()).toBe(true);
    expect(csr.publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(csr.getExtension('2.5.29.17')).toBeInstanceOf(x509.SubjectAlternativeNameExtension);
    expect((csr.getExtension('2.5.29.17') as x509.SubjectAlternativeNameExtension).names.toJSON()).toEqual([{ type: 'url', value: WEB }]);
    const key = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(privateKeyPem), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
    const signature = await crypto.subtle.sign(ECDSA_SHA256, key, new Uint8Array([1, 2, 3]));
    const publicKey = await csr.publicKey.export({ name: 'ECDSA', namedCurve: 'P-256' }, ['verify']);
    expect(await crypto.subtle.verify(ECDSA_SHA256, publicKey, signature, new Uint8Array([1, 2, 3]))).toBe(true);
  });

  it('refuses an ID that is not a workload SPIFFE ID', async () => {
    await expect(createWorkloadCsr({ spiffeId: 'spiffe://weft.local' })).rejects.toThrow(TypeError);
    await expect(createWorkloadCsr({ spiffeId: 'web' })).rejects.toThrow(TypeError);
  });
});

describe('issuing an X.509-SVID', () => {
  it('follows the SPIFFE X.509-SVID profile', async () => {
    const { csrPem } = await createWorkloadCsr({ spiffeId: WEB });
    const issued = await issueX509Svid(ca, { csrPem, spiffeId: WEB, ttlMs: HOUR, now: NOW });
    if (!issued.ok) throw new Error(issued.message);
    expect(issued.expiresAt).toBe(NOW + HOUR);
    const leaf = new x509.X509Certificate(issued.certificatePem);
    expect(leaf.serialNumber).toBe(issued.serialNumber);
    expect(leaf.serialNumber).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(leaf.issuer).toBe(ca.certificate.subject);
    expect(leaf.notBefore.getTime()).toBe(NOW - 60_000);
    expect(leaf.notAfter.getTime()).toBe(NOW + HOUR);
    expect(leaf.publicKey.rawData).toEqual(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
    expect(await leaf.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true })).toBe(true);
    expect(leaf.getExtensions(x509.SubjectAlternativeNameExtension)).toHaveLength(1);
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)?.names.toJSON()).toEqual([{ type: 'url', value: WEB }]);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)).toMatchObject({ ca: false, critical: true });
    expect(leaf.getExtension(x509.KeyUsagesExtension)).toMatchObject({ critical: true, usages: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment });
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toEqual([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
    expect(leaf.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toMatch(/^[0-9a-f]{40}$/);
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
  });

  it('never outlives its CA', async () => {
    const shortCa = await newCa(TD, NOW, 2 * HOUR);
    const { csrPem } = await createWorkloadCsr({ spiffeId: WEB });
    const issued = await issueX509Svid(shortCa, { csrPem, spiffeId: WEB, ttlMs: DAY, now: NOW });
    expect(issued).toMatchObject({ ok: true, expiresAt: NOW + 2 * HOUR });
    await expect(issueX509Svid(shortCa, { csrPem, spiffeId: WEB, ttlMs: HOUR, now: NOW + 3 * HOUR })).rejects.toThrow(/expired/);
  });

  it('accepts a CSR without a SAN (the CA names the workload) and P-384 or RSA-2048 keys', async () => {
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const bare = (await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=web', keys, signingAlgorithm: ECDSA_SHA256 })).toString('pem');
    const p384 = await csrWithKey({ name: 'ECDSA', namedCurve: 'P-384' }, { name: 'ECDSA', hash: 'SHA-384' });
    const rsa = await csrWithKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' });
    for (const csrPem of [bare, p384, rsa]) {
      const issued = await issueX509Svid(ca, { csrPem, spiffeId: WEB, ttlMs: HOUR, now: NOW });
      expect(issued).toMatchObject({ ok: true });
      if (issued.ok) expect(await verifyX509Svid(issued.certificatePem, [ca.certificatePem], { now: NOW })).toMatchObject({ ok: true, spiffeId: WEB });
    }
  });

  it('refuses a CSR asking for another SPIFFE ID, or for more than one name', async () => {
    const { csrPem } = await createWorkloadCsr({ spiffeId: `spiffe://${TD}/ns/prod/sa/admin` });
    expect(await issueX509Svid(ca, { csrPem, spiffeId: WEB, ttlMs: HOUR, now: NOW })).toMatchObject({ ok: false, code: 'wrong_spiffe_id' });
    const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
    const extra = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'O=Test',
      keys,
      signingAlgorithm: ECDSA_SHA256,
      extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: WEB }, { type: 'dns', value: 'bank.example.com' }])],
    });
    expect(await issueX509Svid(ca, { csrPem: extra.toString('pem'), spiffeId: WEB, ttlMs: HOUR, now: NOW })).toMatchObject({ ok: false, code: 'wrong_spiffe_id' });
  });

  it('refuses to name a workload outside the CA trust domain', async () => {
    const other = 'spiffe://partner.example/ns/prod/sa/web';
    const { csrPem } = await createWorkloadCsr({ spiffeId: other });
    expect(await issueX509Svid(ca, { csrPem, spiffeId: other, ttlMs: HOUR, now: NOW })).toMatchObject({ ok: false, code: 'wrong_spiffe_id' });
    expect(await issueX509Svid(ca, { csrPem, spiffeId: `spiffe://${TD}`, ttlMs: HOUR, now: NOW })).toMatchObject({ ok: false, code: 'wrong_spiffe_id' });
  });

  it('refuses a tampered CSR', async () => {
    const { csrPem } = await createWorkloadCsr({ spiffeId: WEB });
    const der = new Uint8Array(x509.PemConverter.decodeFirst(csrPem));
    const text = new TextEncoder().encode('sa/web');
    const at = der.findIndex((_, i) => text.every((b, j) => der[i + j] === b));
    expect(at).toBeGreaterThan(0);
    der.set(new TextEncoder().encode('sa/wee'), at);
    const tampered = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    expect(await issueX509Svid(ca, { csrPem: tampered, spiffeId: 'spiffe://weft.local/ns/prod/sa/wee', ttlMs: HOUR, now: NOW })).toMatchObject({
      ok: false,
      code: 'csr_signature',
    });
  });

  it('refuses something that is not a CSR', async () => {
    for (const csrPem of ['', 'hello', ca.certificatePem.replace(/CERTIFICATE/g, 'CERTIFICATE REQUEST')])
      expect(await issueX509Svid(ca, { csrPem, spiffeId: WEB, ttlMs: HOUR, now: NOW })).toMatchObject({ ok: false, code: 'bad_csr' });
  });

  it('refuses weak keys', async () => {
    const rsa1024 = await csrWithKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, { name: 'RSASSA-PKCS1-v1_5' });
    expect(await issueX509Svid(ca, { csrPem: rsa1024, spiffeId: WEB, ttlMs: HOUR, now: NOW })).toMatchObject({ ok: false, code: 'weak_key', message: expect.stringContaining('1024') });
  });
});

describe('verifying an X.509-SVID', () => {
  it('accepts an SVID from a bundle CA and returns its SPIFFE ID and expiry', async () => {
    expect(await verifyX509Svid(await svid(ca), [ca.certificatePem], { now: NOW + 1000 })).toEqual({ ok: true, spiffeId: WEB, expiresAt: NOW + HOUR });
  });

  it('refuses an SVID from another CA, even one claiming the same trust domain', async () => {
    const impostor = await newCa();
    expect(await verifyX509Svid(await svid(impostor), [ca.certificatePem], { now: NOW })).toMatchObject({ ok: false, code: 'untrusted' });
    expect(await verifyX509Svid(await svid(ca), [], { now: NOW })).toMatchObject({ ok: false, code: 'untrusted' });
  });

  it('refuses outside the validity window', async () => {
    const pem = await svid(ca);
    expect(await verifyX509Svid(pem, [ca.certificatePem], { now: NOW + HOUR + 1000 })).toMatchObject({ ok: false, code: 'expired' });
    expect(await verifyX509Svid(pem, [ca.certificatePem], { now: NOW - 2 * 60_000 })).toMatchObject({ ok: false, code: 'not_yet_valid' });
    expect(await verifyX509Svid(pem, [ca.certificatePem], { now: NOW - 30_000 })).toMatchObject({ ok: true });
  });

  it('refuses a CA certificate presented as a workload SVID', async () => {
    expect(await verifyX509Svid(ca.certificatePem, [ca.certificatePem], { now: NOW })).toMatchObject({ ok: false, code: 'not_a_leaf' });
  });

  it('refuses a leaf whose URI SAN is missing, doubled, or outside the CA trust domain', async () => {
    async function leafWith(names: { type: 'url' | 'dns'; value: string }[]): Promise<string> {
      const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
      const cert = await x509.X509CertificateGenerator.create({
        subject: 'O=Weft',
        issuer: ca.certificate.subjectName,
        notBefore: new Date(NOW - 60_000),
        notAfter: new Date(NOW + HOUR),
        publicKey: keys.publicKey,
        signingKey: ca.privateKey,
        signingAlgorithm: ECDSA_SHA256,
        extensions: [new x509.BasicConstraintsExtension(false, undefined, true), new x509.SubjectAlternativeNameExtension(names)],
      });
      return cert.toString('pem');
    }
    const cases: [{ type: 'url' | 'dns'; value: string }[], boolean][] = [
      [[{ type: 'url', value: WEB }, { type: 'dns', value: 'web.internal' }], true],
      [[{ type: 'dns', value: 'web.internal' }], false],
      [[{ type: 'url', value: WEB }, { type: 'url', value: `spiffe://${TD}/ns/prod/sa/db` }], false],
      [[{ type: 'url', value: 'spiffe://partner.example/ns/prod/sa/web' }], false],
      [[{ type: 'url', value: 'https://weft.local/web' }], false],
      [[{ type: 'url', value: `spiffe://${TD}` }], false],
    ];
    for (const [names, ok] of cases)
      expect(await verifyX509Svid(await leafWith(names), [ca.certificatePem], { now: NOW })).toMatchObject(ok ? { ok: true, spiffeId: WEB } : { ok: false, code: 'bad_san' });
  });

  it('refuses things that are not certificates', async () => {
    for (const pem of ['', 'not a cert', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'])
      expect(await verifyX509Svid(pem, [ca.certificatePem], { now: NOW })).toMatchObject({ ok: false, code: 'malformed' });
  });
});

describe('CA rotation', () => {
  it('a bundle [old, new] verifies SVIDs from both; dropping the old CA drops its SVIDs', async () => {
    const oldCa = await newCa(TD, NOW - 20 * DAY);
    const newCa_ = await newCa(TD, NOW);
    const fromOld = await svid(oldCa);
    const fromNew = await svid(newCa_);
    const overlap = [oldCa.certificatePem, newCa_.certificatePem];
    expect(await verifyX509Svid(fromOld, overlap, { now: NOW })).toMatchObject({ ok: true, spiffeId: WEB });
    expect(await verifyX509Svid(fromNew, overlap, { now: NOW })).toMatchObject({ ok: true, spiffeId: WEB });
    expect(await verifyX509Svid(fromOld, [newCa_.certificatePem], { now: NOW })).toMatchObject({ ok: false, code: 'untrusted' });
    expect(await verifyX509Svid(fromNew, [newCa_.certificatePem], { now: NOW })).toMatchObject({ ok: true });
  });
});
