// Issuing X.509-SVIDs (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md):
// control checks a workload's CSR (well-formed, self-signed, asking for no identity but the one
// it was authorized for, a strong key) and signs a leaf with the mesh CA. The caller decides
// which SPIFFE ID the workload may have; the CSR can only agree with it.
import { CLOCK_SKEW_MS, ECDSA_SHA256, allSans, randomSerialHex, x509 } from './pkix.ts';
import { checkSpiffeId } from './spiffe-id.ts';
import type { CertificateAuthority } from './x509-ca.ts';

export type CsrRejection = 'bad_csr' | 'csr_signature' | 'wrong_spiffe_id' | 'weak_key';

export type IssueX509SvidResult =
  | { ok: true; certificatePem: string; expiresAt: number; serialNumber: string }
  | { ok: false; code: CsrRejection; message: string };

export interface IssueX509SvidOptions {
  csrPem: string;
  /** The identity the workload proved (join token or current SVID); the leaf's only URI SAN. */
  spiffeId: string;
  ttlMs: number;
  now?: number;
}

function fail(code: CsrRejection, message: string): IssueX509SvidResult {
  return { ok: false, code, message };
}

const EC_CURVES = new Set(['P-256', 'P-384']);
const RSA_ALGORITHMS = new Set(['RSASSA-PKCS1-v1_5', 'RSA-PSS', 'RSA-OAEP']);
const MIN_RSA_BITS = 2048;

/** A public key's algorithm as @peculiar/x509 reports it (WebCrypto key-algorithm shape). */
interface KeyAlgorithm {
  name: string;
  namedCurve?: string;
  modulusLength?: number;
}

function keyProblem(algorithm: KeyAlgorithm): string | undefined {
  if (algorithm.name === 'ECDSA' || algorithm.name === 'ECDH')
    return EC_CURVES.has(algorithm.namedCurve ?? '') ? undefined : `EC curve ${algorithm.namedCurve ?? '(unknown)'} is not accepted (P-256 or P-384)`;
  if (RSA_ALGORITHMS.has(algorithm.name))
    return (algorithm.modulusLength ?? 0) >= MIN_RSA_BITS ? undefined : `RSA key of ${algorithm.modulusLength ?? 0} bits is too weak (at least ${MIN_RSA_BITS})`;
  return `${algorithm.name} keys are not accepted (ECDSA P-256/P-384 or RSA of at least ${MIN_RSA_BITS} bits)`;
}

export async function issueX509Svid(ca: CertificateAuthority, options: IssueX509SvidOptions): Promise<IssueX509SvidResult> {
  const { spiffeId, ttlMs } = options;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`SVID lifetime must be a positive number of ms, got ${ttlMs}`);
  const now = options.now ?? Date.now();
  if (ca.notAfter <= now) throw new Error(`the CA for ${ca.trustDomain} expired at ${new Date(ca.notAfter).toISOString()}; rotate it`);

  const wanted = checkSpiffeId(spiffeId);
  if (!wanted.ok) return fail('wrong_spiffe_id', `"${spiffeId}" is not a SPIFFE ID: ${wanted.reason}`);
  if (wanted.id.path === '') return fail('wrong_spiffe_id', `${spiffeId} is a trust domain, not a workload`);
  if (wanted.id.trustDomain !== ca.trustDomain) return fail('wrong_spiffe_id', `${spiffeId} is not in this CA's trust domain ${ca.trustDomain}`);

  let csr: x509.Pkcs10CertificateRequest;
  let names: string[];
  let algorithm: KeyAlgorithm;
  try {
    csr = new x509.Pkcs10CertificateRequest(options.csrPem);
    names = allSans(csr.extensions);
    algorithm = csr.publicKey.algorithm;
  } catch (e) {
    return fail('bad_csr', `not a PKCS#10 certificate request: ${(e as Error).message}`);
  }
  let signed: boolean;
  try {
    signed = await csr.verify();
  } catch {
    signed = false;
  }
  if (!signed) return fail('csr_signature', 'CSR signature does not verify with its own public key (tampered, or not signed by the key it carries)');
  if (names.length > 0 && (names.length !== 1 || names[0] !== `url:${spiffeId}`))
    return fail('wrong_spiffe_id', `CSR asks for ${names.map((n) => n.replace(/^url:/, '')).join(', ')} but this workload is ${spiffeId}`);
  const weak = keyProblem(algorithm);
  if (weak) return fail('weak_key', weak);

  const notAfter = Math.min(now + ttlMs, ca.notAfter);
  const caKeyId = ca.certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: 'O=Weft',
    issuer: ca.certificate.subjectName,
    notBefore: new Date(now - CLOCK_SKEW_MS),
    notAfter: new Date(notAfter),
    publicKey: csr.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth], false),
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }], false),
      await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
      caKeyId ? new x509.AuthorityKeyIdentifierExtension(caKeyId, false) : await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
    ],
  });
  return { ok: true, certificatePem: certificate.toString('pem'), expiresAt: certificate.notAfter.getTime(), serialNumber: certificate.serialNumber };
}
