// Verifying an X.509-SVID against a CA bundle: signed by one of the bundle's CAs, inside its
// validity (and its CA's), a leaf, and naming exactly one SPIFFE ID (URI SAN) in the issuing
// CA's trust domain. Control uses it for renewals ("prove who you are with your SVID"); the
// bundle may hold the old and new CA during a rotation. Answers with a code, never throws.
import { uriSans, x509 } from './pkix.ts';
import { checkSpiffeId } from './spiffe-id.ts';
import { caTrustDomain } from './x509-ca.ts';

export type X509SvidRejection = 'malformed' | 'untrusted' | 'expired' | 'not_yet_valid' | 'not_a_leaf' | 'bad_san';

export type VerifyX509SvidResult = { ok: true; spiffeId: string; expiresAt: number } | { ok: false; code: X509SvidRejection; message: string };

interface TrustedCa {
  certificate: x509.X509Certificate;
  trustDomain: string;
}

/** Extensions this verifier understands; a critical extension outside the list is refused (RFC 5280 4.2). */
const KNOWN_EXTENSIONS = new Set(['2.5.29.19', '2.5.29.15', '2.5.29.37', '2.5.29.17', '2.5.29.14', '2.5.29.35']);

function fail(code: X509SvidRejection, message: string): VerifyX509SvidResult {
  return { ok: false, code, message };
}

function canSignCertificates(certificate: x509.X509Certificate): boolean {
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  return !usage || (usage.usages & x509.KeyUsageFlags.keyCertSign) !== 0;
}

/** The bundle's usable CAs; entries that do not parse or are not SPIFFE CAs are ignored. */
function trustedCas(caBundle: readonly string[]): TrustedCa[] {
  const out: TrustedCa[] = [];
  for (const pem of caBundle) {
    try {
      const certificate = new x509.X509Certificate(pem);
      const trustDomain = caTrustDomain(certificate);
      if (trustDomain !== undefined && canSignCertificates(certificate)) out.push({ certificate, trustDomain });
    } catch {
      // not a certificate: cannot vouch for anything
    }
  }
  return out;
}

async function findIssuer(leaf: x509.X509Certificate, cas: readonly TrustedCa[]): Promise<TrustedCa | undefined> {
  for (const ca of cas) {
    if (ca.certificate.subject !== leaf.issuer) continue;
    try {
      if (await leaf.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true })) return ca;
    } catch {
      // a key of another type, or a signature in a form WebCrypto rejects: not this CA
    }
  }
  return undefined;
}

function validity(certificate: x509.X509Certificate, now: number, what: string): VerifyX509SvidResult | undefined {
  if (now < certificate.notBefore.getTime()) return fail('not_yet_valid', `${what} is not valid before ${certificate.notBefore.toISOString()}`);
  if (now > certificate.notAfter.getTime()) return fail('expired', `${what} expired at ${certificate.notAfter.toISOString()}`);
  return undefined;
}

export async function verifyX509Svid(certificatePem: string, caBundle: readonly string[], options: { now?: number } = {}): Promise<VerifyX509SvidResult> {
  const now = options.now ?? Date.now();
  let leaf: x509.X509Certificate;
  let extensions: x509.Extension[];
  let uris: string[];
  try {
    leaf = new x509.X509Certificate(certificatePem);
    extensions = leaf.extensions;
    uris = uriSans(extensions);
  } catch (e) {
    return fail('malformed', `not a PEM X.509 certificate: ${(e as Error).message}`);
  }

  const cas = trustedCas(caBundle);
  if (cas.length === 0) return fail('untrusted', 'the CA bundle holds no usable SPIFFE CA certificate');
  const issuer = await findIssuer(leaf, cas);
  if (!issuer) return fail('untrusted', `certificate (issuer ${leaf.issuer}) is not signed by any CA in the bundle`);

  const unknownCritical = extensions.find((e) => e.critical && !KNOWN_EXTENSIONS.has(e.type));
  if (unknownCritical) return fail('malformed', `certificate has an unrecognized critical extension ${unknownCritical.type}`);
  const basic = leaf.getExtension(x509.BasicConstraintsExtension);
  const usage = leaf.getExtension(x509.KeyUsagesExtension);
  if (basic?.ca || (usage && (usage.usages & (x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)) !== 0))
    return fail('not_a_leaf', 'certificate is a CA certificate, not a workload SVID');

  const outside = validity(leaf, now, 'SVID') ?? validity(issuer.certificate, now, `issuing CA for ${issuer.trustDomain}`);
  if (outside) return outside;

  if (uris.length !== 1) return fail('bad_san', `an X.509-SVID has exactly one URI SAN, this one has ${uris.length}`);
  const spiffeId = uris[0] as string;
  const checked = checkSpiffeId(spiffeId);
  if (!checked.ok) return fail('bad_san', `URI SAN ${JSON.stringify(spiffeId)} is not a SPIFFE ID: ${checked.reason}`);
  if (checked.id.path === '') return fail('bad_san', `URI SAN ${spiffeId} is a trust domain, not a workload`);
  if (checked.id.trustDomain !== issuer.trustDomain) return fail('bad_san', `${spiffeId} is outside the issuing CA's trust domain ${issuer.trustDomain}`);
  return { ok: true, spiffeId, expiresAt: leaf.notAfter.getTime() };
}
