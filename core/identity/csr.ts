// The workload side of X.509-SVID issuance: the sidecar makes its own P-256 key and a PKCS#10
// request naming its SPIFFE ID as the only URI SAN. The private key stays with the sidecar
// (extractable only so it can be written to a 0600 file); control sees just the CSR.
import { ECDSA_SHA256, generateP256KeyPair, privateKeyToPem, x509 } from './pkix.ts';
import { checkSpiffeId } from './spiffe-id.ts';

export async function createWorkloadCsr(options: { spiffeId: string }): Promise<{ csrPem: string; privateKeyPem: string }> {
  const checked = checkSpiffeId(options.spiffeId);
  if (!checked.ok) throw new TypeError(`cannot request an SVID for "${options.spiffeId}": ${checked.reason}`);
  if (checked.id.path === '') throw new TypeError(`cannot request an SVID for "${options.spiffeId}": a trust domain ID names no workload`);
  const keys = await generateP256KeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'O=Weft',
    keys,
    signingAlgorithm: ECDSA_SHA256,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'url', value: options.spiffeId }], false)],
  });
  return { csrPem: csr.toString('pem'), privateKeyPem: await privateKeyToPem(keys.privateKey) };
}
