// The mesh certificate authority: a self-signed ECDSA P-256 root whose URI SAN names the trust
// domain (`spiffe://<td>`). Control creates one per trust domain (PEM cert + PKCS#8 key, kept
// as secrets), loads it to issue X.509-SVIDs, and publishes the certificate in the trust bundle.
import { CLOCK_SKEW_MS, ECDSA_SHA256, generateP256KeyPair, importP256PrivateKey, privateKeyToPem, randomSerialHex, uriSans, x509 } from './pkix.ts';
import type { WebCryptoKey } from './pkix.ts';
import { checkSpiffeId, trustDomainId } from './spiffe-id.ts';

export interface CertificateAuthority {
  certificate: x509.X509Certificate;
  certificatePem: string;
  /** Non-extractable, usable for signing only. */
  privateKey: WebCryptoKey;
  trustDomain: string;
  /** ms since the epoch; no SVID outlives its CA. */
  notAfter: number;
}

export interface CreateCertificateAuthorityOptions {
  trustDomain: string;
  ttlMs: number;
  now?: number;
}

export async function createCertificateAuthority(options: CreateCertificateAuthorityOptions): Promise<{ certificatePem: string; privateKeyPem: string }> {
  const { trustDomain, ttlMs } = options;
  const uri = trustDomainId(trustDomain);
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`CA lifetime must be a positive number of ms, got ${ttlMs}`);
  const now = options.now ?? Date.now();
  const keys = await generateP256KeyPair();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: `CN=Weft CA ${trustDomain}, O=Weft`,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(now + ttlMs),
    signingAlgorithm: ECDSA_SHA256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: certificate.toString('pem'), privateKeyPem: await privateKeyToPem(keys.privateKey) };
}

/**
 * The trust domain a CA certificate speaks for: its one `spiffe://<td>` URI SAN. Undefined
 * when the certificate is not a CA or names no (or more than one) trust domain.
 */
export function caTrustDomain(certificate: x509.X509Certificate): string | undefined {
  const basic = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) return undefined;
  const uris = uriSans(certificate.extensions);
  if (uris.length !== 1) return undefined;
  const checked = checkSpiffeId(uris[0] as string);
  return checked.ok && checked.id.path === '' ? checked.id.trustDomain : undefined;
}

/** Loads a CA written by createCertificateAuthority; throws with a clear message if it is not one. */
export async function loadCertificateAuthority(pems: { certificatePem: string; privateKeyPem: string }): Promise<CertificateAuthority> {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(pems.certificatePem);
  } catch (e) {
    throw new Error(`CA certificate is not a PEM X.509 certificate: ${(e as Error).message}`);
  }
  const trustDomain = caTrustDomain(certificate);
  if (trustDomain === undefined) throw new Error('CA certificate must be a CA (BasicConstraints CA:true) with exactly one URI SAN spiffe://<trust-domain>');
  let privateKey: WebCryptoKey;
  try {
    privateKey = await importP256PrivateKey(pems.privateKeyPem);
  } catch (e) {
    throw new Error(`CA private key must be a PKCS#8 PEM ECDSA P-256 key: ${(e as Error).message}`);
  }
  // A key that does not match the certificate would issue SVIDs nobody can verify.
  if (!(await keyMatchesCertificate(privateKey, certificate))) throw new Error('CA private key does not belong to the CA certificate');
  return { certificate, certificatePem: certificate.toString('pem'), privateKey, trustDomain, notAfter: certificate.notAfter.getTime() };
}

async function keyMatchesCertificate(privateKey: WebCryptoKey, certificate: x509.X509Certificate): Promise<boolean> {
  try {
    const probe = new TextEncoder().encode('weft-ca-key-check');
    const signature = await crypto.subtle.sign(ECDSA_SHA256, privateKey, probe);
    const publicKey = await certificate.publicKey.export({ ...certificate.publicKey.algorithm, ...ECDSA_SHA256 }, ['verify']);
    return await crypto.subtle.verify(ECDSA_SHA256, publicKey, signature, probe);
  } catch {
    return false;
  }
}
